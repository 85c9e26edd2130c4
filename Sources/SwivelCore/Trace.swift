import SwivelPacket
import SwivelAddress

/// What one stage decided for one traced frame: a fixed-size record written in the fast path (no
/// strings, no allocation) and formatted by the control plane (VPP's trace buffer and `format_*_trace`).
public struct TraceRecord: Sendable, Equatable {
    public enum Verdict: UInt8, Sendable { case `continue` = 0, output = 1, flood = 2, drop = 3 }
    /// FDB outcome in the l2 stage.
    public enum Lookup: UInt8, Sendable { case none = 0, hit = 1, miss = 2, multicast = 3, router = 4 }
    public var packet: UInt16        // FrameMeta.traceID: groups the records of one packet and its copies
    public var stage: UInt8          // index into Pipeline.stageNames
    public var verdict: Verdict
    public var reason: UInt8         // DropReason raw value when verdict == .drop
    public var lookup: Lookup
    public var port: UInt16          // egress port (output), or the ingress port
    public var network: UInt16
    public var etherType: UInt16
    public var vlan: UInt16
    public var count: UInt32         // flood copies, or the flow's packet count
    public var source: MACAddress
    public var destination: MACAddress
    /// acl: the security-group rule that decided (ACLRuleID), and how (ACLOutcome raw value in `lookup`'s place).
    public var rule: UInt32 = 0
    public var aclOutcome: UInt8 = 0
    /// vxlan-decap / vxlan-encap: the remote VTEP (IPv4) and the VNI.
    public var remote: UInt32 = 0
    public var vni: UInt32 = 0

    @inlinable public init(packet: UInt16, stage: UInt8, verdict: Verdict, reason: UInt8 = 0, lookup: Lookup = .none,
                           port: UInt16 = 0, network: UInt16 = 0, etherType: UInt16 = 0, vlan: UInt16 = 0, count: UInt32 = 0,
                           source: MACAddress = .zero, destination: MACAddress = .zero) {
        self.packet = packet; self.stage = stage; self.verdict = verdict; self.reason = reason; self.lookup = lookup
        self.port = port; self.network = network; self.etherType = etherType; self.vlan = vlan; self.count = count
        self.source = source; self.destination = destination
    }
}

/// Index of each stage in `Pipeline.stageNames`, as written in trace records.
public enum StageID {
    public static let parse: UInt8 = 0
    public static let vlan: UInt8 = 1
    public static let portSecurity: UInt8 = 2
    public static let l2: UInt8 = 3
    public static let l3: UInt8 = 4
    public static let flowRecord: UInt8 = 5
    public static let output: UInt8 = 6
    /// Security groups and connection tracking: on frames from a guarded port before l2, and on frames
    /// to a guarded port in output.
    public static let acl: UInt8 = 7
    /// Frames from the VXLAN port: VXLAN header checked and taken off, network found by VNI.
    public static let vxlanDecap: UInt8 = 8
    /// Frames to the VXLAN port: outer headers written (once per remote VTEP when flooding).
    public static let vxlanEncap: UInt8 = 9
}

/// A bounded buffer of trace records, filled by the stages and emptied by the datapath between batches.
/// When full, further records are counted as lost, never block.
/// Ownership: per-worker (filled by the stages, emptied by the datapath between batches).
public final class TraceBuffer {
    public let capacity: Int
    @usableFromInline let records: UnsafeMutablePointer<TraceRecord>
    @usableFromInline let counts: UnsafeMutablePointer<Int>   // [0] used, [1] lost

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        records = .allocate(capacity: capacity)
        counts = .allocate(capacity: 2)
        counts.initialize(repeating: 0, count: 2)
    }
    deinit { records.deallocate(); counts.deallocate() }

    public var count: Int { counts[0] }
    public var lost: Int { counts[1] }

    @inlinable public func append(_ r: TraceRecord) {
        let n = counts[0]
        guard n < capacity else { counts[1] += 1; return }
        (records + n).initialize(to: r)
        counts[0] = n + 1
    }

    /// The records so far, and an empty buffer. Control path.
    public func take() -> [TraceRecord] {
        let out = Array(UnsafeBufferPointer(start: records, count: counts[0]))
        counts[0] = 0
        return out
    }
}
