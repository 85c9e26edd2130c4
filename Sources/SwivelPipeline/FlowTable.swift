import SwivelPacket
import SwivelCore
import SwivelAddress

/// The match of an L2 flow: ingress port, network and both MACs (later stages add L3/L4 fields).
public struct FlowKey: TableKey, Hashable, Sendable {
    public var portAndSource: UInt64        // inPort << 48 | source MAC
    public var networkAndDestination: UInt64 // network << 48 | destination MAC
    @inlinable public init(inPort: UInt16, network: UInt16, source: MACAddress, destination: MACAddress) {
        portAndSource = UInt64(inPort) << 48 | source.rawValue
        networkAndDestination = UInt64(network) << 48 | destination.rawValue
    }
    @inlinable public var hash64: UInt64 { mix64(portAndSource ^ mix64(networkAndDestination)) }
    public var inPort: UInt16 { UInt16(truncatingIfNeeded: portAndSource >> 48) }
    public var network: UInt16 { UInt16(truncatingIfNeeded: networkAndDestination >> 48) }
    public var source: MACAddress { MACAddress(rawValue: portAndSource) }
    public var destination: MACAddress { MACAddress(rawValue: networkAndDestination) }
}

/// What the pipeline decided for a packet.
public struct Decision: Equatable, Sendable {
    /// `route`: for the l3 stage (port = the router interface the frame was addressed to).
    /// `consumed`: a stage took the frame (waiting for ARP, or freed): output leaves it alone.
    public enum Action: UInt8, Sendable { case drop = 0, output = 1, flood = 2, route = 3, consumed = 4 }
    public var action: Action
    public var reason: UInt8   // DropReason raw value when action == .drop
    public var port: UInt16    // egress port when action == .output
    /// With output to the VXLAN port: the remote VTEP (IPv4) the frame is encapsulated to.
    public var remote: UInt32

    @inlinable public init(action: Action, reason: UInt8 = 0, port: UInt16 = 0, remote: UInt32 = 0) {
        self.action = action; self.reason = reason; self.port = port; self.remote = remote
    }
    @inlinable public static func drop(_ r: DropReason) -> Decision { Decision(action: .drop, reason: r.rawValue) }
    @inlinable public static func output(_ p: UInt16, remote: UInt32 = 0) -> Decision { Decision(action: .output, port: p, remote: remote) }
    public static let flood = Decision(action: .flood)
    /// What parse leaves for frames it passes: later stages decide.
    public static let undecided = Decision(action: .output, port: UInt16.max)
}

public struct FlowRecord: Sendable {
    public var decision: Decision
    public var packets: UInt64
    public var bytes: UInt64
    public var firstSeen: UInt64
    public var lastSeen: UInt64
    /// For flows that arrive through the VXLAN port: the remote VTEP they last came from.
    public var remote: UInt32 = 0

    @inlinable public init(decision: Decision, packets: UInt64, bytes: UInt64, firstSeen: UInt64, lastSeen: UInt64, remote: UInt32 = 0) {
        self.decision = decision; self.packets = packets; self.bytes = bytes
        self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.remote = remote
    }
}

/// The datapath's record of each active flow and what it decided for it, with hit counts and age,
/// for `swivelctl flows dump`. Bounded: when full, new flows are counted as not recorded, never block.
/// Entries idle longer than `idleNanos` are swept.
///
/// It is a record, not a cache: with L2 only, an FDB lookup costs what a flow lookup costs, so
/// replaying decisions would add a tier without saving work (see Docs/architecture.md).
/// Ownership: per-worker, single writer (the flow-record stage; the control plane reads and flushes it
/// through the mailbox).
public struct FlowTable {
    public var table: OpenTable<FlowKey, FlowRecord>
    public var idleNanos: UInt64
    public var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var created: UInt64 = 0
        public var hits: UInt64 = 0
        public var notRecorded: UInt64 = 0   // table full
        public var expired: UInt64 = 0
        public var changed: UInt64 = 0       // decision of an existing flow changed (e.g. flood -> output)
        public var flushed: UInt64 = 0
    }

    public init(limit: Int = 65536, idleSeconds: Double = 10) {
        table = OpenTable(limit: limit)
        idleNanos = UInt64(idleSeconds * 1e9)
    }

    @inlinable @inline(__always)
    public mutating func record(_ key: FlowKey, decision: Decision, bytes: Int, now: UInt64, remote: UInt32 = 0) {
        if let slot = table.find(key) {
            let r = table.value(at: slot)
            if r.pointee.decision != decision {
                r.pointee.decision = decision
                stats.changed &+= 1
            }
            r.pointee.packets &+= 1
            r.pointee.bytes &+= UInt64(bytes)
            r.pointee.lastSeen = now
            r.pointee.remote = remote
            stats.hits &+= 1
        } else if table.insert(key, FlowRecord(decision: decision, packets: 1, bytes: UInt64(bytes),
                                               firstSeen: now, lastSeen: now, remote: remote)) != nil {
            stats.created &+= 1
        } else {
            stats.notRecorded &+= 1
        }
    }

    @discardableResult
    public mutating func sweep(now: UInt64) -> Int {
        let idle = idleNanos
        let n = table.removeAll { _, r in now &- r.lastSeen > idle }
        stats.expired &+= UInt64(n)
        return n
    }

    @discardableResult
    public mutating func flush() -> Int {
        let n = table.removeAll { _, _ in true }
        stats.flushed &+= UInt64(n)
        return n
    }

    public func rows() -> [(FlowKey, FlowRecord)] {
        var rows: [(FlowKey, FlowRecord)] = []
        rows.reserveCapacity(table.count)
        table.forEach { rows.append(($0, $1)) }
        return rows
    }
}
