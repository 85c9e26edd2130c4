import SwivelPacket
import SwivelAddress

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
    /// On the VXLAN port: the remote VTEP (IPv4) behind which the MAC lives; 0 for local ports.
    public var remote: UInt32
    public var lastSeen: UInt64
    @inlinable public init(port: UInt16, isStatic: Bool, lastSeen: UInt64, remote: UInt32 = 0) {
        self.port = port; self.isStatic = isStatic; self.lastSeen = lastSeen; self.remote = remote
    }
}

/// The forwarding database: which port a MAC was last seen on, per network. Written only by the
/// datapath thread (learning happens in the fast path); read by the control plane through copies.
///
/// Each network has its own aging time and entry limit, and each port its own limit, so one tenant
/// (or one hostile workload flooding random source MACs) cannot fill the table for the others. When a
/// limit is reached new MACs are not learned (counted), and known traffic keeps flowing. Static entries
/// never age and never move. The per-network and per-port counts live in arrays allocated once, and
/// every removal path keeps them exact.
/// Ownership: per-worker, single writer: the l2 stage learns; l2 and l3 look up (reads only: an aged entry
/// answers "unknown" and stays until the once-a-second sweep or the next learn of its MAC removes or
/// refreshes it); the control plane adds static entries and flushes through the mailbox, between batches.
public struct FDB {
    public var table: OpenTable<FDBKey, FDBEntry>
    public var stats = Stats()
    public static let maxNetworks = 4096
    public static let maxPorts = 1024
    @usableFromInline let networkLimit: UnsafeMutablePointer<Int>
    @usableFromInline let networkAging: UnsafeMutablePointer<UInt64>
    @usableFromInline let networkCount: UnsafeMutablePointer<Int>
    @usableFromInline let portLimit: UnsafeMutablePointer<Int>
    @usableFromInline let portCount: UnsafeMutablePointer<Int>

    public struct Stats: Sendable, Equatable {
        public var learned: UInt64 = 0
        public var moved: UInt64 = 0
        public var expired: UInt64 = 0
        public var limitHits: UInt64 = 0       // a network was full
        public var portLimitHits: UInt64 = 0   // a port was at its limit
        public var flushed: UInt64 = 0
        public var staticMoveRefused: UInt64 = 0
    }

    public static let defaultLimit = 8192
    public static let defaultAgingSeconds = 300

    /// - Parameters:
    ///   - capacity: total entries across networks (the table is allocated once for this many).
    ///   - limit, agingSeconds: defaults for networks not configured with `configure(network:…)`.
    public init(capacity: Int? = nil, limit: Int = FDB.defaultLimit, agingSeconds: Int = FDB.defaultAgingSeconds) {
        table = OpenTable(limit: capacity ?? limit)
        networkLimit = .allocate(capacity: Self.maxNetworks)
        networkLimit.initialize(repeating: limit, count: Self.maxNetworks)
        networkAging = .allocate(capacity: Self.maxNetworks)
        networkAging.initialize(repeating: UInt64(agingSeconds) * 1_000_000_000, count: Self.maxNetworks)
        networkCount = .allocate(capacity: Self.maxNetworks)
        networkCount.initialize(repeating: 0, count: Self.maxNetworks)
        portLimit = .allocate(capacity: Self.maxPorts)
        portLimit.initialize(repeating: Int.max, count: Self.maxPorts)
        portCount = .allocate(capacity: Self.maxPorts)
        portCount.initialize(repeating: 0, count: Self.maxPorts)
    }

    public func configure(network: UInt16, limit: Int? = nil, agingSeconds: Int? = nil) {
        if let limit { networkLimit[Int(network)] = limit }
        if let agingSeconds { networkAging[Int(network)] = UInt64(agingSeconds) * 1_000_000_000 }
    }

    public func configure(port: UInt16, limit: Int?) { portLimit[Int(port)] = limit ?? Int.max }

    public var count: Int { table.count }
    public func count(network: UInt16) -> Int { networkCount[Int(network)] }
    public func count(port: UInt16) -> Int { portCount[Int(port)] }
    public func limit(network: UInt16) -> Int { networkLimit[Int(network)] }
    public func limit(port: UInt16) -> Int? { portLimit[Int(port)] == Int.max ? nil : portLimit[Int(port)] }
    public func agingSeconds(network: UInt16) -> Int { Int(networkAging[Int(network)] / 1_000_000_000) }

    @inlinable @inline(__always)
    func isAged(_ e: FDBEntry, network: UInt16, now: UInt64) -> Bool {
        !e.isStatic && now &- e.lastSeen > networkAging[Int(network)]
    }

    @inlinable @inline(__always)
    mutating func removeCounted(at slot: Int) {
        let k = table.key(at: slot), p = table.value(at: slot).pointee.port
        networkCount[Int(k.network)] -= 1
        portCount[Int(p)] -= 1
        table.remove(at: slot)
    }

    /// The port for a destination, or nil when unknown or aged out (the table never answers with a stale
    /// port, even between sweeps; removing the entry is the sweep's job, so a lookup writes nothing).
    @inlinable @inline(__always)
    public func lookup(network: UInt16, mac: MACAddress, now: UInt64) -> UInt16? {
        lookupEntry(network: network, mac: mac, now: now)?.port
    }

    /// The entry for a destination (port and, behind the VXLAN port, remote VTEP), or nil.
    @inlinable @inline(__always)
    public func lookupEntry(network: UInt16, mac: MACAddress, now: UInt64) -> FDBEntry? {
        guard let slot = table.find(FDBKey(network: network, mac: mac)) else { return nil }
        let e = table.value(at: slot).pointee
        return isAged(e, network: network, now: now) ? nil : e
    }

    /// Where a known destination goes: output to its port (and VTEP), or nil when unknown.
    @inlinable @inline(__always)
    public func decision(network: UInt16, mac: MACAddress, now: UInt64) -> Decision? {
        lookupEntry(network: network, mac: mac, now: now).map { .output($0.port, remote: $0.remote) }
    }

    /// Records that `mac` was seen on `port`. Static entries never move; moves are allowed past the
    /// destination port's limit (the MAC is not new to the network).
    /// A MAC behind the VXLAN port learns its remote VTEP too; moving between VTEPs counts as a move.
    @inlinable @inline(__always)
    public mutating func learn(network: UInt16, mac: MACAddress, port: UInt16, now: UInt64, remote: UInt32 = 0) {
        let key = FDBKey(network: network, mac: mac)
        if let slot = table.find(key) {
            let e = table.value(at: slot)
            if isAged(e.pointee, network: network, now: now) {
                // Aged but not yet swept: the MAC is new again (learned, not moved; limits apply).
                removeCounted(at: slot)
                stats.expired &+= 1
            } else {
                if e.pointee.isStatic {
                    if e.pointee.port != port || e.pointee.remote != remote { stats.staticMoveRefused &+= 1 }
                    return
                }
                if e.pointee.port != port {
                    portCount[Int(e.pointee.port)] -= 1
                    portCount[Int(port)] += 1
                    e.pointee.port = port
                    stats.moved &+= 1
                } else if e.pointee.remote != remote {
                    stats.moved &+= 1
                }
                e.pointee.remote = remote
                e.pointee.lastSeen = now
                return
            }
        }
        if networkCount[Int(network)] >= networkLimit[Int(network)] { stats.limitHits &+= 1; return }
        if portCount[Int(port)] >= portLimit[Int(port)] { stats.portLimitHits &+= 1; return }
        if table.insert(key, FDBEntry(port: port, isStatic: false, lastSeen: now, remote: remote)) == nil {
            stats.limitHits &+= 1
            return
        }
        networkCount[Int(network)] += 1
        portCount[Int(port)] += 1
        stats.learned &+= 1
    }

    /// Adds or replaces a static entry. False when the table is full.
    @discardableResult
    public mutating func addStatic(network: UInt16, mac: MACAddress, port: UInt16, remote: UInt32 = 0) -> Bool {
        let key = FDBKey(network: network, mac: mac)
        if let slot = table.find(key) { removeCounted(at: slot) }
        guard table.insert(key, FDBEntry(port: port, isStatic: true, lastSeen: 0, remote: remote)) != nil else { return false }
        networkCount[Int(network)] += 1
        portCount[Int(port)] += 1
        return true
    }

    /// Removes an entry (static or learned). False when there was none.
    @discardableResult
    public mutating func remove(network: UInt16, mac: MACAddress) -> Bool {
        guard let slot = table.find(FDBKey(network: network, mac: mac)) else { return false }
        removeCounted(at: slot)
        return true
    }

    /// Removes aged dynamic entries. Returns how many.
    @discardableResult
    public mutating func sweep(now: UInt64) -> Int {
        let aging = networkAging
        let n = removeCounted { k, e in !e.isStatic && now &- e.lastSeen > aging[Int(k.network)] }
        stats.expired &+= UInt64(n)
        return n
    }

    /// Removes learned entries, optionally only those of one network or one port (statics stay).
    @discardableResult
    public mutating func flush(network: UInt16? = nil, port: UInt16? = nil) -> Int {
        let n = removeCounted { k, e in
            !e.isStatic && (network == nil || k.network == network) && (port == nil || e.port == port)
        }
        stats.flushed &+= UInt64(n)
        return n
    }

    /// Removes every entry, static ones included, that belongs to a port (the port left).
    @discardableResult
    public mutating func forget(port: UInt16) -> Int {
        removeCounted { _, e in e.port == port }
    }

    /// Removes every entry of a port in one network, static ones included (the port left the network).
    @discardableResult
    public mutating func forget(port: UInt16, network: UInt16) -> Int {
        removeCounted { k, e in e.port == port && k.network == network }
    }

    /// Removes every entry of a network, static ones included (the network was deleted).
    @discardableResult
    public mutating func forget(network: UInt16) -> Int {
        removeCounted { k, _ in k.network == network }
    }

    mutating func removeCounted(where shouldRemove: (FDBKey, FDBEntry) -> Bool) -> Int {
        let networks = networkCount, ports = portCount
        return table.removeAll { k, e in
            guard shouldRemove(k, e) else { return false }
            networks[Int(k.network)] -= 1
            ports[Int(e.port)] -= 1
            return true
        }
    }

    public struct Row: Sendable, Equatable {
        public var network: UInt16
        public var mac: MACAddress
        public var port: UInt16
        public var isStatic: Bool
        public var ageSeconds: Double
        public var remote: UInt32 = 0
    }

    /// A copy of the live entries, for display.
    public func rows(now: UInt64) -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(table.count)
        table.forEach { k, e in
            if !isAged(e, network: k.network, now: now) {
                rows.append(Row(network: k.network, mac: k.mac, port: e.port, isStatic: e.isStatic,
                                ageSeconds: e.isStatic ? 0 : Double(now &- e.lastSeen) / 1e9, remote: e.remote))
            }
        }
        return rows.sorted { ($0.network, $0.port, $0.mac) < ($1.network, $1.port, $1.mac) }
    }

    public var staticCount: Int {
        var n = 0
        table.forEach { _, e in if e.isStatic { n += 1 } }
        return n
    }
}
