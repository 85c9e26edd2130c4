import SwivelPacket
import SwivelCore

/// How the acl stage decided (trace records and `trace` output).
public enum ACLOutcome: UInt8, Sendable {
    case none = 0
    case notIP            // ARP or IPv6 neighbour discovery: always passes
    case tracked          // a packet of a tracked connection, original direction
    case trackedReply     // a reply of a tracked connection
    case new              // classified and allowed; a connection is tracked from now on
    case stateless        // classified and allowed; not a connection (ICMP other than echo)
    case related          // an ICMP error about a tracked connection
    case fragment         // a later fragment following its first fragment's verdict
    case denied           // a rule (or the ingress default) denied it
    case invalid          // TCP that fits no connection state
    case revoked          // its connection's rule is gone: the connection ended
    case tableFull
    case malformed
    public var name: String {
        switch self {
        case .none: "-"
        case .notIP: "not ip (arp/nd)"
        case .tracked: "tracked"
        case .trackedReply: "tracked (reply)"
        case .new: "new connection"
        case .stateless: "allowed (not tracked)"
        case .related: "related icmp error"
        case .fragment: "fragment of an allowed packet"
        case .denied: "denied"
        case .invalid: "invalid tcp state"
        case .revoked: "connection revoked"
        case .tableFull: "connection table full"
        case .malformed: "malformed or unsupported"
        }
    }
}

/// Security groups as a service of the pipeline: the compiled rules (a snapshot), their hit counters,
/// and the decision for one packet at one guarded port in one direction, with connection tracking
/// (`ConnTracker`, each guarded port its own zone). Two places ask it, in stage order, and neither calls
/// the other: the acl stage (ACLStage.swift) checks frames from guarded ports against their egress rules
/// before l2; the output stage checks each copy it delivers to a guarded port against that port's ingress
/// rules (floods per copy, routed and router-made frames too), as an egress pipeline runs per copy after
/// replication. A packet of a tracked connection passes on the conntrack lookup alone; only a new
/// connection is classified. Rule changes bump `generation`, and a connection is re-checked against the
/// new rules on its next packet: still allowed, it goes on; not allowed, it ends (`ct-revoked`).
/// Decides: drop (acl-deny, acl-default-deny, ct-invalid, ct-table-full, ct-revoked, acl-fragment-untracked,
/// acl-malformed, acl-ipv6-unsupported). Reads meta: inPort, network, etherType, l3Offset, length.
/// Ownership: per-worker, single writer (the pipeline lends it to the acl stage, then to output).
public struct SecurityGroups {
    public private(set) var table: SecurityTable
    /// Hits per rule id (classifications, not packets of tracked connections).
    public private(set) var ruleHits: UnsafeMutablePointer<UInt64>
    public private(set) var ruleHitCount: Int
    public private(set) var generation: UInt32 = 1
    /// Some port has security groups: without any, deliveries skip the acl check on a plain flag
    /// (no reference to the table is taken per packet).
    public private(set) var anyGuarded = false
    /// Picks up TCP connections mid-stream (an ACK without a tracked connection is classified as if new).
    public var loose = false
    @usableFromInline let trace: TraceBuffer

    public init(maxPorts: Int, trace: TraceBuffer) {
        table = .empty(maxPorts: maxPorts)
        ruleHitCount = ACLRuleInfo.builtIn.count
        ruleHits = .allocate(capacity: ruleHitCount)
        ruleHits.initialize(repeating: 0, count: ruleHitCount)
        self.trace = trace
    }

    /// Adopts new security groups between batches. Hit counters follow their rules (by group and rule
    /// text); tracked connections are re-checked on their next packet when the decisions may differ; the
    /// connections of ports that are no longer guarded are forgotten.
    public mutating func adopt(_ newTable: SecurityTable, conntrack: inout ConnTracker) {
        var hits: [String: UInt64] = [:]
        for r in table.rules where Int(r.id) < ruleHitCount { hits[r.identity, default: 0] += ruleHits[Int(r.id)] }
        let count = newTable.rules.count
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        for r in newTable.rules { (fresh + Int(r.id)).initialize(to: hits[r.identity] ?? 0) }
        ruleHits.deallocate()
        ruleHits = fresh
        ruleHitCount = count
        if newTable.signature != table.signature { generation &+= 1 }
        let guarded = newTable
        conntrack.forget { !$0.zone.isRouter && !guarded.isGuarded($0.zone.id) }
        table = newTable
        anyGuarded = newTable.guardedCount > 0
    }

    /// Checks a frame about to be delivered to a guarded port against that port's ingress rules; nil: it may go.
    @inlinable @inline(__always)
    public mutating func admit(_ f: FrameIndex, to port: Int, pool: FramePool, conntrack: inout ConnTracker, now: UInt64,
                               dryRun: Bool) -> DropReason? {
        guard anyGuarded, table.isGuarded(port) else { return nil }
        return check(f, port: port, ingress: true, pool: pool, conntrack: &conntrack, now: now, dryRun: dryRun)
    }

    /// Checks one frame at one guarded port in one direction; nil: it may go. Writes the trace record.
    @inlinable
    public mutating func check(_ f: FrameIndex, port: Int, ingress: Bool, pool: FramePool, conntrack: inout ConnTracker, now: UInt64,
                        dryRun: Bool) -> DropReason? {
        let m = pool.meta + Int(f)
        var rule: UInt32 = 0
        let (reason, outcome) = decide(UnsafeRawPointer(pool.data(f)), m, port: port, ingress: ingress, conntrack: &conntrack,
                                       now: now, dryRun: dryRun, rule: &rule)
        if m.pointee.flags & FrameMeta.traced != 0 {
            var r = TraceRecord(packet: m.pointee.traceID, stage: StageID.acl, verdict: reason == nil ? .continue : .drop,
                                reason: reason?.rawValue ?? 0, port: UInt16(port), count: ingress ? 1 : 0)
            r.rule = rule
            r.aclOutcome = outcome.rawValue
            trace.append(r)
        }
        return reason
    }

    @inlinable
    mutating func decide(_ p: UnsafeRawPointer, _ m: UnsafeMutablePointer<FrameMeta>, port: Int, ingress: Bool,
                         conntrack: inout ConnTracker, now: UInt64, dryRun: Bool, rule: inout UInt32) -> (DropReason?, ACLOutcome) {
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        switch m.pointee.etherType {
        case EtherType.ipv4: break
        case EtherType.arp: return (nil, .notIP)
        case EtherType.ipv6:
            // Neighbour discovery (router/neighbour solicitation and advertisement) keeps the link working.
            // (Router solicitations and advertisements, neighbour solicitations and advertisements; redirects
            // are not needed for the link to work and are not let through.)
            if available >= 42, let ip6 = IPv6Header(p, at: l3, available: available), ip6.nextHeader == IPProtocol.icmpv6 {
                let type = ICMPv6Header(unchecked: p + l3 + IPv6Header.minimumLength).type
                if type >= ICMPv6Header.routerSolicitation && type <= ICMPv6Header.neighborAdvertisement { return (nil, .notIP) }
            }
            return (.aclIPv6Unsupported, .malformed)
        default:
            // Other protocols: out is allowed, in is the ingress default.
            if ingress { rule = ACLRuleID.ingressDefault; return (.aclDefaultDeny, .denied) }
            rule = ACLRuleID.egressDefault
            return (nil, .stateless)
        }
        guard let fields = L4Fields.parse(p, l3: l3, available: available) else { return (.aclMalformed, .malformed) }
        let zone = ConnZone.port(port)
        if fields.fragment == 2 {
            if conntrack.followsFirstFragment(FragmentKey(fields, zone: zone), now: now, dryRun: dryRun) { return (nil, .fragment) }
            return (.aclFragmentUntracked, .denied)
        }
        var quoted: L4Fields?
        if fields.isICMPError {
            quoted = L4Fields.parseQuoted(p, at: fields.l4Offset + 8, available: l3 + fields.totalLength - fields.l4Offset - 8)
        }
        let (reason, outcome) = decideConnection(fields, quoted: quoted, port: port, zone: zone, network: m.pointee.network,
                                                 ingress: ingress, conntrack: &conntrack, now: now, dryRun: dryRun, rule: &rule)
        if reason == nil && fields.fragment == 1 && !dryRun { conntrack.noteFirstFragment(FragmentKey(fields, zone: zone), now: now) }
        return (reason, outcome)
    }

    @inlinable
    mutating func decideConnection(_ f: L4Fields, quoted: L4Fields?, port: Int, zone: ConnZone, network: UInt16, ingress: Bool,
                                   conntrack: inout ConnTracker, now: UInt64, dryRun: Bool,
                                   rule: inout UInt32) -> (DropReason?, ACLOutcome) {
        let key = ConnTuple(f, zone: zone)
        if let (e, reply) = conntrack.lookup(key, now: now, dryRun: dryRun) {
            let c = conntrack.table.entries + e
            rule = c.pointee.rule
            if c.pointee.generation != generation {
                let verdict = revalidate(c.pointee)
                if verdict.deny {
                    rule = verdict.rule
                    if !dryRun { conntrack.table.remove(e); conntrack.table.stats.revoked &+= 1 }
                    return (.ctRevoked, .revoked)
                }
                if !dryRun { c.pointee.generation = generation; c.pointee.rule = verdict.rule }
            }
            if dryRun { return (nil, reply ? .trackedReply : .tracked) }
            conntrack.table.stats.hits &+= 1
            if f.proto == IPProtocol.tcp {
                if !conntrack.trackTCP(e, reply: reply, f, now: now) {
                    conntrack.table.stats.invalid &+= 1
                    return (.ctInvalid, .invalid)
                }
            } else if reply && c.pointee.state == .new {
                conntrack.table.setState(e, .replied)
            }
            conntrack.account(e, reply: reply, bytes: f.totalLength, now: now)
            return (nil, reply ? .trackedReply : .tracked)
        }
        if let inner = quoted, conntrack.isTracked(ConnTuple(inner, zone: zone)) {
            rule = ACLRuleID.related
            if !dryRun { conntrack.table.stats.related &+= 1 }
            return (nil, .related)
        }
        let verdict = classify(port: port, ingress: ingress, remote: ingress ? f.source : f.destination, proto: f.proto,
                               rulePort: f.rulePort)
        rule = verdict.rule
        if !dryRun && Int(verdict.rule) < ruleHitCount { ruleHits[Int(verdict.rule)] &+= 1 }
        if verdict.deny { return (verdict.rule == ACLRuleID.ingressDefault ? .aclDefaultDeny : .aclDeny, .denied) }
        // Allowed: what starts a connection is tracked from here on.
        var state = ConnState.new
        if f.proto == IPProtocol.tcp {
            let syn = f.tcpFlags & (L4Fields.tcpSYN | L4Fields.tcpACK | L4Fields.tcpRST | L4Fields.tcpFIN) == L4Fields.tcpSYN
            if syn {
                state = .synSent
            } else if loose && f.tcpFlags & L4Fields.tcpRST == 0 && f.tcpFlags & L4Fields.tcpACK != 0 {
                state = .established
            } else {
                if !dryRun { conntrack.table.stats.invalid &+= 1 }
                return (.ctInvalid, .invalid)
            }
        } else if f.proto == IPProtocol.icmp && f.icmpType != 8 {
            return (nil, .stateless)   // echo replies and other ICMP: allowed by rule, nothing to track
        }
        // A connection picked up mid-stream (loose mode) has no known client. When the port's ingress rules
        // would admit the other direction, the connection is taken as coming in, so that its ingress rule
        // is what a later rule change re-checks (the packet in hand is then its reply).
        var asReply = false, allowedBy = verdict
        if state == .established && !ingress {
            let reverse = classify(port: port, ingress: true, remote: f.destination, proto: f.proto, rulePort: f.sourcePort)
            if !reverse.deny { asReply = true; allowedBy = reverse }
        }
        if dryRun { return (nil, .new) }
        guard let e = conntrack.create(asReply ? key.reversed : key, network: network, state: state,
                                       origin: ingress || asReply ? 1 : 0, rule: allowedBy.rule, generation: generation, now: now)
        else { return (.ctTableFull, .tableFull) }
        if f.proto == IPProtocol.tcp {
            let c = conntrack.table.entries + e
            let next = f.seq &+ f.payload &+ (state == .synSent ? 1 : 0)
            if asReply { c.pointee.nextSeq.1 = next } else { c.pointee.nextSeq.0 = next }
            c.pointee.initialSeq = state == .synSent ? f.seq : f.seq &- 1
            if state == .synSent {
                c.pointee.windowScale.0 = f.windowScale
                c.pointee.window.0 = UInt32(f.window)
            } else {
                // Mid-stream: the window scales were announced before we looked, so windows are unknown and
                // the RST check must not be stricter than the endpoints.
                c.pointee.window = (1 << 30, 1 << 30)
            }
        }
        conntrack.account(e, reply: asReply, bytes: f.totalLength, now: now)
        return (nil, .new)
    }

    /// The rule that decides a packet of a port's policy (or the direction's default).
    @inlinable
    public func classify(port: Int, ingress: Bool, remote: UInt32, proto: UInt8, rulePort: UInt16) -> ACLVerdict {
        let policy = Int(ingress ? table.ingressPolicy[port] : table.egressPolicy[port])
        if policy >= 0, let v = table.classifier.classify(policy: policy, remote: remote, protocol: proto, port: rulePort) {
            return v
        }
        return ingress ? ACLVerdict(rule: ACLRuleID.ingressDefault, priority: .min, deny: true)
                       : ACLVerdict(rule: ACLRuleID.egressDefault, priority: .min, deny: false)
    }

    /// A tracked connection under the current rules, classified as its first packet was.
    @inlinable
    func revalidate(_ c: Connection) -> ACLVerdict {
        let ingress = c.origin == 1
        let proto = c.original.proto
        let rulePort = proto == IPProtocol.tcp || proto == IPProtocol.udp || proto == IPProtocol.icmp ? c.original.destinationPort : 0
        return classify(port: c.zone.id, ingress: ingress,
                        remote: ingress ? c.original.sourceIPv4 : c.original.destinationIPv4, proto: proto, rulePort: rulePort)
    }
}
