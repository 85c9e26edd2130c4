import SwivelPacket
import SwivelAddress

public struct NeighborKey: TableKey, Hashable, Sendable {
    public var raw: UInt64
    @inlinable public init(interface: UInt16, address: UInt32) { raw = UInt64(interface) << 32 | UInt64(address) }
    @inlinable public var interface: UInt16 { UInt16(truncatingIfNeeded: raw >> 32) }
    @inlinable public var address: UInt32 { UInt32(truncatingIfNeeded: raw) }
    @inlinable public var hash64: UInt64 { mix64(raw) }
}

/// What a router knows about one address on one of its interfaces (ARP's neighbour cache).
public struct NeighborEntry: Sendable {
    public enum State: UInt8, Sendable {
        /// Being resolved: ARP requests out, packets waiting.
        case incomplete = 1
        /// Confirmed by an ARP reply within the last `reachableNanos`.
        case reachable = 2
        /// Known but unconfirmed for a while: still used, refreshed by a new request when used.
        case stale = 3
    }
    public var mac: MACAddress
    public var state: State
    /// When the entry was created or last confirmed.
    public var confirmedAt: UInt64
    public var probedAt: UInt64
    public var probes: UInt8
    public var pendingCount: UInt8
    /// Frames waiting for resolution (at most `NeighborTable.pendingPerAddress`).
    public var pending: (UInt32, UInt32, UInt32)

    @inlinable public init(mac: MACAddress, state: State, confirmedAt: UInt64) {
        self.mac = mac; self.state = state; self.confirmedAt = confirmedAt
        probedAt = 0; probes = 0; pendingCount = 0; pending = (0, 0, 0)
    }

    @inlinable mutating func push(_ frame: FrameIndex) -> Bool {
        switch pendingCount {
        case 0: pending.0 = frame
        case 1: pending.1 = frame
        case 2: pending.2 = frame
        default: return false
        }
        pendingCount += 1
        return true
    }

    @inlinable func pendingFrame(_ i: Int) -> FrameIndex { i == 0 ? pending.0 : i == 1 ? pending.1 : pending.2 }
}

/// The neighbour table of every router interface: fixed size, single writer (the l3 stage), no
/// allocation after init. Unsolicited ARP never creates an entry (a workload cannot plant itself as
/// anybody's next hop); it may update one that exists.
/// Ownership: per-worker, single writer (the l3 stage and its once-a-second tick).
public struct NeighborTable {
    public var table: OpenTable<NeighborKey, NeighborEntry>
    public var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var resolved: UInt64 = 0
        public var failed: UInt64 = 0
        public var updated: UInt64 = 0
        public var requestsSent: UInt64 = 0
        public var repliesSent: UInt64 = 0
        public var tableFull: UInt64 = 0
    }

    public static let pendingPerAddress = 3
    public static let reachableNanos: UInt64 = 30_000_000_000
    /// A stale entry nobody confirms is forgotten this long after it went stale.
    public static let staleNanos: UInt64 = 300_000_000_000
    public static let retryNanos: UInt64 = 1_000_000_000
    public static let maxProbes: UInt8 = 3

    public init(limit: Int = 16_384) { table = OpenTable(limit: limit) }

    @inlinable public func find(interface: UInt16, address: UInt32) -> UnsafeMutablePointer<NeighborEntry>? {
        table.find(NeighborKey(interface: interface, address: address)).map { table.value(at: $0) }
    }

    public var count: Int { table.count }
}
