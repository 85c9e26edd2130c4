import SwivelPacket

/// (network, MAC) packed in one word: network in the top 16 bits.
public struct FDBKey: TableKey, Hashable, Sendable {
    public var raw: UInt64
    @inlinable public init(network: UInt16, mac: MACAddress) { raw = UInt64(network) << 48 | mac.rawValue }
    @inlinable public var network: UInt16 { UInt16(truncatingIfNeeded: raw >> 48) }
    @inlinable public var mac: MACAddress { MACAddress(rawValue: raw) }
    @inlinable public var hash64: UInt64 { mix64(raw) }
}

public struct FDBEntry: Sendable {
    public var port: UInt16
    public var isStatic: Bool
    public var lastSeen: UInt64
    @inlinable public init(port: UInt16, isStatic: Bool, lastSeen: UInt64) {
        self.port = port; self.isStatic = isStatic; self.lastSeen = lastSeen
    }
}

/// The forwarding database: which port a MAC was last seen on, per network. Written only by the
/// datapath thread (learning happens in the fast path); read by the control plane through copies.
public struct FDB {
    public var table: OpenTable<FDBKey, FDBEntry>
    public var agingNanos: UInt64
    public var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var learned: UInt64 = 0
        public var moved: UInt64 = 0
        public var expired: UInt64 = 0
        public var limitHits: UInt64 = 0
        public var flushed: UInt64 = 0
    }

    public static let defaultLimit = 8192
    public static let defaultAgingSeconds = 300

    public init(limit: Int = FDB.defaultLimit, agingSeconds: Int = FDB.defaultAgingSeconds) {
        table = OpenTable(limit: limit)
        agingNanos = UInt64(agingSeconds) * 1_000_000_000
    }

    public var count: Int { table.count }

    /// The port for a destination, or nil when unknown or aged out (an aged entry is removed here,
    /// so the table never answers with a stale port even between sweeps).
    @inlinable @inline(__always)
    public mutating func lookup(network: UInt16, mac: MACAddress, now: UInt64) -> UInt16? {
        guard let slot = table.find(FDBKey(network: network, mac: mac)) else { return nil }
        let e = table.value(at: slot)
        if !e.pointee.isStatic && now &- e.pointee.lastSeen > agingNanos {
            table.remove(at: slot)
            stats.expired &+= 1
            return nil
        }
        return e.pointee.port
    }

    /// Records that `mac` was seen on `port`. Static entries never move.
    @inlinable @inline(__always)
    public mutating func learn(network: UInt16, mac: MACAddress, port: UInt16, now: UInt64) {
        let key = FDBKey(network: network, mac: mac)
        if let slot = table.find(key) {
            let e = table.value(at: slot)
            if e.pointee.isStatic { return }
            if e.pointee.port != port {
                e.pointee.port = port
                stats.moved &+= 1
            }
            e.pointee.lastSeen = now
            return
        }
        if table.insert(key, FDBEntry(port: port, isStatic: false, lastSeen: now)) == nil {
            stats.limitHits &+= 1
        } else {
            stats.learned &+= 1
        }
    }

    public mutating func addStatic(network: UInt16, mac: MACAddress, port: UInt16) -> Bool {
        let key = FDBKey(network: network, mac: mac)
        if let slot = table.find(key) {
            table.value(at: slot).pointee = FDBEntry(port: port, isStatic: true, lastSeen: 0)
            return true
        }
        return table.insert(key, FDBEntry(port: port, isStatic: true, lastSeen: 0)) != nil
    }

    /// Removes aged dynamic entries. Returns how many.
    @discardableResult
    public mutating func sweep(now: UInt64) -> Int {
        let aging = agingNanos
        let n = table.removeAll { _, e in !e.isStatic && now &- e.lastSeen > aging }
        stats.expired &+= UInt64(n)
        return n
    }

    /// Removes dynamic entries, optionally only those of one network or one port.
    @discardableResult
    public mutating func flush(network: UInt16? = nil, port: UInt16? = nil) -> Int {
        let n = table.removeAll { k, e in
            !e.isStatic && (network == nil || k.network == network) && (port == nil || e.port == port)
        }
        stats.flushed &+= UInt64(n)
        return n
    }

    public struct Row: Sendable, Equatable {
        public var network: UInt16
        public var mac: MACAddress
        public var port: UInt16
        public var isStatic: Bool
        public var ageSeconds: Double
    }

    /// A copy of the live entries, for display.
    public func rows(now: UInt64) -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(table.count)
        table.forEach { k, e in
            let age = e.isStatic ? 0 : Double(now &- e.lastSeen) / 1e9
            if e.isStatic || now &- e.lastSeen <= agingNanos {
                rows.append(Row(network: k.network, mac: k.mac, port: e.port, isStatic: e.isStatic, ageSeconds: age))
            }
        }
        return rows.sorted { ($0.network, $0.port, $0.mac) < ($1.network, $1.port, $1.mac) }
    }
}
