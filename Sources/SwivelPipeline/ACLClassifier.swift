import SwivelPacket

/// What a security-group rule decides.
public struct ACLVerdict: Sendable, Equatable {
    public var rule: UInt32
    public var priority: Int32
    public var deny: Bool
    @inlinable public init(rule: UInt32, priority: Int32, deny: Bool) {
        self.rule = rule; self.priority = priority; self.deny = deny
    }
    /// `self` wins over `other`: higher priority, and deny breaks ties.
    @inlinable @inline(__always)
    public func beats(_ other: ACLVerdict) -> Bool {
        priority > other.priority || (priority == other.priority && deny && !other.deny)
    }
}

/// Rule ids every policy shares; configured rules are numbered after them.
public enum ACLRuleID {
    /// Nothing matched a packet into a guarded port: denied.
    public static let ingressDefault: UInt32 = 0
    /// Nothing matched a packet from a guarded port: allowed (tracked).
    public static let egressDefault: UInt32 = 1
    /// DHCP replies to the port (udp to port 68) are allowed unless a rule denies them.
    public static let implicitDHCP: UInt32 = 2
    /// An ICMP error about a tracked connection (RELATED in netfilter's words).
    public static let related: UInt32 = 3
    public static let firstConfigured: UInt32 = 4
    /// Priority of the implicit rules: below every configured rule, so a configured deny overrides them.
    public static let implicitPriority: Int32 = -1
}

/// The classifier key: a policy and the packet fields a rule can match, masked to one tuple's widths.
public struct ACLKey: TableKey {
    /// policy << 32 | remote address (masked)
    public var a: UInt64
    /// tuple << 32 | protocol (masked) << 16 | port or ICMP type/code (masked)
    public var b: UInt64
    @inlinable public init(a: UInt64, b: UInt64) { self.a = a; self.b = b }
    @inlinable public var hash64: UInt64 { mix64(a ^ (b &* 0x9E37_79B9_7F4A_7C15)) }
}

/// One mask combination ("tuple" in tuple-space search): how many bits of the remote address, whether
/// the protocol, and how many bits of the port (or ICMP type<<8|code) a group of rules looks at.
public struct ACLTuple: Sendable, Equatable {
    public var id: UInt32
    public var remoteMask: UInt32
    public var protocolMask: UInt8
    public var portMask: UInt16
    /// The highest priority among this policy's rules in the tuple: lookups stop once no later tuple can win.
    public var maxPriority: Int32

    public init(remoteLength: Int, exactProtocol: Bool, portLength: Int, maxPriority: Int32) {
        id = UInt32(remoteLength) | (exactProtocol ? 1 << 6 : 0) | UInt32(portLength) << 7
        remoteMask = remoteLength == 0 ? 0 : ~UInt32(0) << (32 - remoteLength)
        protocolMask = exactProtocol ? 0xFF : 0
        portMask = portLength == 0 ? 0 : ~UInt16(0) << (16 - portLength)
        self.maxPriority = maxPriority
    }
}

/// Security-group rules compiled for tuple-space search (the classifier Open vSwitch uses): rules are
/// grouped by which bits they look at, each group is one hash lookup, so a lookup costs one probe per
/// distinct mask combination of the port's rules, not one test per rule. 10 000 rules that differ in
/// their remote /32 or port are still one tuple. Port ranges are split into aligned prefixes.
/// Immutable once built; built off the datapath.
public final class ACLClassifier: @unchecked Sendable {
    @usableFromInline var table: OpenTable<ACLKey, ACLVerdict>
    /// Per policy: its tuples in `tuples`, highest max priority first.
    @usableFromInline let tupleStart: [Int32]
    @usableFromInline let tupleCount: [Int32]
    @usableFromInline let tuples: [ACLTuple]
    public let entryCount: Int
    public var policyCount: Int { tupleStart.count }

    init(table: OpenTable<ACLKey, ACLVerdict>, tupleStart: [Int32], tupleCount: [Int32], tuples: [ACLTuple]) {
        self.table = table; self.tupleStart = tupleStart; self.tupleCount = tupleCount; self.tuples = tuples
        entryCount = table.count
    }
    deinit { table.deallocate() }

    /// The tuples one policy's lookups probe (benchmarks and `acl show`).
    public func tupleCount(policy: Int) -> Int { Int(tupleCount[policy]) }

    /// The winning rule for a packet under `policy`, or nil when no rule matches.
    /// `remote`: the other end's address (source into the port, destination out of it); `port`: the
    /// destination port for TCP/UDP, type << 8 | code for ICMP, 0 otherwise.
    @inlinable
    public func classify(policy: Int, remote: UInt32, protocol proto: UInt8, port: UInt16) -> ACLVerdict? {
        var best: ACLVerdict?
        let start = Int(tupleStart[policy])
        for i in start..<start + Int(tupleCount[policy]) {
            let t = tuples[i]
            if let b = best, t.maxPriority < b.priority || (t.maxPriority == b.priority && b.deny) { break }
            let key = ACLKey(a: UInt64(policy) << 32 | UInt64(remote & t.remoteMask),
                             b: UInt64(t.id) << 32 | UInt64(proto & t.protocolMask) << 16 | UInt64(port & t.portMask))
            if let slot = table.find(key) {
                let v = table.value(at: slot).pointee
                if best == nil || v.beats(best!) { best = v }
            }
        }
        return best
    }
}

/// One rule in the classifier's terms.
public struct ACLMatch: Sendable, Equatable {
    public var protocolNumber: UInt8?           // nil: any protocol
    public var remoteAddress: UInt32
    public var remoteLength: Int
    public var ports: ClosedRange<UInt16>?      // TCP/UDP destination ports; nil: all
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    public init(protocolNumber: UInt8? = nil, remoteAddress: UInt32 = 0, remoteLength: Int = 0,
                ports: ClosedRange<UInt16>? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil) {
        self.protocolNumber = protocolNumber; self.remoteAddress = remoteAddress; self.remoteLength = remoteLength
        self.ports = ports; self.icmpType = icmpType; self.icmpCode = icmpCode
    }

    /// Does a packet with these fields match? The reference the classifier is tested against.
    public func matches(remote: UInt32, protocol proto: UInt8, port: UInt16) -> Bool {
        let mask: UInt32 = remoteLength == 0 ? 0 : ~UInt32(0) << (32 - remoteLength)
        guard remote & mask == remoteAddress & mask else { return false }
        guard let p = protocolNumber else { return true }
        guard p == proto else { return false }
        if let ports { return ports.contains(port) }
        if let t = icmpType {
            if UInt8(port >> 8) != t { return false }
            if let c = icmpCode, UInt8(port & 0xFF) != c { return false }
        }
        return true
    }

    /// (value, prefix length) blocks of the port field this rule covers.
    func portBlocks() -> [(UInt16, Int)] {
        if let t = icmpType { return [(UInt16(t) << 8 | UInt16(icmpCode ?? 0), icmpCode == nil ? 8 : 16)] }
        guard let ports, ports != 0...UInt16.max else { return [(0, 0)] }
        // Split [lo, hi] into the fewest aligned power-of-two blocks.
        var blocks: [(UInt16, Int)] = []
        var lo = UInt32(ports.lowerBound)
        let hi = UInt32(ports.upperBound)
        while lo <= hi {
            var size: UInt32 = 1
            while lo % (size * 2) == 0 && lo + size * 2 - 1 <= hi && size * 2 <= 65536 { size *= 2 }
            blocks.append((UInt16(lo), 16 - size.trailingZeroBitCount))
            lo += size
        }
        return blocks
    }
}

/// Collects rules per policy, then builds the classifier. Control path.
public struct ACLClassifierBuilder {
    struct Entry { var policy: Int; var tuple: ACLTuple; var key: ACLKey; var verdict: ACLVerdict }
    var entries: [Entry] = []
    public private(set) var policyCount = 0

    public init() {}

    /// A new, empty policy (one port direction's set of rules); returns its number.
    public mutating func addPolicy() -> Int {
        policyCount += 1
        return policyCount - 1
    }

    public mutating func add(policy: Int, match: ACLMatch, verdict: ACLVerdict) {
        let exactProtocol = match.protocolNumber != nil
        for (port, portLength) in exactProtocol ? match.portBlocks() : [(0, 0)] {
            let tuple = ACLTuple(remoteLength: match.remoteLength, exactProtocol: exactProtocol, portLength: portLength,
                                 maxPriority: verdict.priority)
            let key = ACLKey(a: UInt64(policy) << 32 | UInt64(match.remoteAddress & tuple.remoteMask),
                             b: UInt64(tuple.id) << 32 | UInt64((match.protocolNumber ?? 0) & tuple.protocolMask) << 16
                                | UInt64(port & tuple.portMask))
            entries.append(Entry(policy: policy, tuple: tuple, key: key, verdict: verdict))
        }
    }

    public func build() -> ACLClassifier {
        // One stored verdict per key: the rule that beats the others with the same masked fields.
        var best: [Int: (ACLKey, ACLVerdict)] = [:]
        var index: [KeyBits: Int] = [:]
        var tupleMax: [Int: [UInt32: ACLTuple]] = [:]
        for e in entries {
            let bits = KeyBits(a: e.key.a, b: e.key.b)
            if let i = index[bits] {
                if e.verdict.beats(best[i]!.1) { best[i] = (e.key, e.verdict) }
            } else {
                index[bits] = best.count
                best[best.count] = (e.key, e.verdict)
            }
            var t = tupleMax[e.policy]?[e.tuple.id] ?? e.tuple
            t.maxPriority = max(t.maxPriority, e.verdict.priority)
            tupleMax[e.policy, default: [:]][e.tuple.id] = t
        }
        var table = OpenTable<ACLKey, ACLVerdict>(limit: max(best.count, 1))
        for (key, verdict) in best.values { _ = table.insert(key, verdict) }
        var start: [Int32] = [], count: [Int32] = [], tuples: [ACLTuple] = []
        for policy in 0..<policyCount {
            let own = (tupleMax[policy] ?? [:]).values.sorted { ($0.maxPriority, $1.id) > ($1.maxPriority, $0.id) }
            start.append(Int32(tuples.count))
            count.append(Int32(own.count))
            tuples += own
        }
        return ACLClassifier(table: table, tupleStart: start, tupleCount: count, tuples: tuples)
    }

    struct KeyBits: Hashable { var a: UInt64; var b: UInt64 }
}
