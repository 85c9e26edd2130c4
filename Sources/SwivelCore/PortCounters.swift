/// Per-port counters in one flat block, written only by the datapath thread that owns it.
/// Readers get copies taken between batches.
/// Ownership: per-worker (written by the datapath thread that owns it; read as snapshots between batches).
public final class PortCounters {
    /// rx packets, rx bytes, tx packets, tx bytes, the four offload counters, then one per drop reason.
    public static let fieldsPerPort = 8 + DropReason.allCases.count
    @usableFromInline static let dropBase = 8
    public let maxPorts: Int
    @usableFromInline let values: UnsafeMutablePointer<UInt64>
    /// When each (port, reason) last dropped a frame, in datapath clock nanoseconds (0: never).
    @usableFromInline let lastDrop: UnsafeMutablePointer<UInt64>
    /// The current batch's time, set once per iteration by the datapath so drops can be stamped
    /// without reading the clock per packet. [0]
    @usableFromInline let clock: UnsafeMutablePointer<UInt64>

    public init(maxPorts: Int) {
        self.maxPorts = maxPorts
        values = .allocate(capacity: maxPorts * Self.fieldsPerPort)
        values.initialize(repeating: 0, count: maxPorts * Self.fieldsPerPort)
        lastDrop = .allocate(capacity: maxPorts * DropReason.allCases.count)
        lastDrop.initialize(repeating: 0, count: maxPorts * DropReason.allCases.count)
        clock = .allocate(capacity: 1)
        clock.initialize(to: 0)
    }
    deinit { values.deallocate(); lastDrop.deallocate(); clock.deallocate() }

    /// Sets the time that drops counted from now on are stamped with.
    @inlinable public var now: UInt64 {
        get { clock.pointee }
        set { clock.pointee = newValue }
    }

    @inlinable @inline(__always) public func countRx(_ port: Int, bytes: Int) {
        let b = values + port * Self.fieldsPerPort
        b[0] &+= 1; b[1] &+= UInt64(bytes)
    }
    @inlinable @inline(__always) public func countTx(_ port: Int, packets: Int, bytes: Int) {
        let b = values + port * Self.fieldsPerPort
        b[2] &+= UInt64(packets); b[3] &+= UInt64(bytes)
    }
    @inlinable @inline(__always) public func countDrop(_ port: Int, _ reason: DropReason, _ n: UInt64 = 1) {
        values[port * Self.fieldsPerPort + Self.dropBase + Int(reason.rawValue)] &+= n
        lastDrop[port * DropReason.allCases.count + Int(reason.rawValue)] = clock.pointee
    }

    /// When `reason` last dropped a frame on `port` (datapath nanoseconds), or nil.
    public func lastDropTime(port: Int, reason: DropReason) -> UInt64? {
        let t = lastDrop[port * DropReason.allCases.count + Int(reason.rawValue)]
        return values[port * Self.fieldsPerPort + Self.dropBase + Int(reason.rawValue)] == 0 ? nil : t
    }

    public func reset(port: Int) {
        (values + port * Self.fieldsPerPort).update(repeating: 0, count: Self.fieldsPerPort)
        (lastDrop + port * DropReason.allCases.count).update(repeating: 0, count: DropReason.allCases.count)
    }

    /// What the output stage did with frames carrying offload metadata (a virtio-net header) for a port:
    /// super-frames it segmented and the segments that made, partial checksums it completed, and frames it
    /// passed on as they were (the port takes offloads).
    public enum OffloadCounter: Int, Sendable { case segmented = 4, segments = 5, checksumsCompleted = 6, passedThrough = 7 }

    @inlinable @inline(__always) public func count(_ port: Int, _ c: OffloadCounter, _ n: UInt64 = 1) {
        values[port * Self.fieldsPerPort + c.rawValue] &+= n
    }

    public struct Snapshot: Sendable, Equatable {
        public var rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64
        public var segmented: UInt64 = 0, segments: UInt64 = 0, checksumsCompleted: UInt64 = 0, passedThrough: UInt64 = 0
        public var drops: [DropReason: UInt64]   // non-zero reasons only
        public var totalDrops: UInt64 { drops.values.reduce(0, +) }
    }

    public func snapshot(port: Int) -> Snapshot {
        let b = values + port * Self.fieldsPerPort
        var drops: [DropReason: UInt64] = [:]
        for r in DropReason.allCases where b[Self.dropBase + Int(r.rawValue)] != 0 { drops[r] = b[Self.dropBase + Int(r.rawValue)] }
        return Snapshot(rxPackets: b[0], rxBytes: b[1], txPackets: b[2], txBytes: b[3],
                        segmented: b[4], segments: b[5], checksumsCompleted: b[6], passedThrough: b[7], drops: drops)
    }
}
