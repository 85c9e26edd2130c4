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

/// The fields of an IPv4 packet the acl stage reads.
public struct L4Fields {
    public var source: UInt32 = 0, destination: UInt32 = 0
    public var proto: UInt8 = 0
    /// The connection key's ports: TCP/UDP ports; ICMP echo id paired with 0x0800 (requests carry
    /// (id, 0x0800), replies (0x0800, id), so a reply finds its request reversed); 0 otherwise.
    public var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
    /// What rules match: the destination port, or ICMP type << 8 | code.
    public var rulePort: UInt16 = 0
    public var tcpFlags: UInt8 = 0
    public var seq: UInt32 = 0, ack: UInt32 = 0, window: UInt16 = 0, payload: UInt32 = 0
    public var windowScale: UInt8 = 0xFF
    public var icmpType: UInt8 = 0
    /// 0: not a fragment, 1: first fragment, 2: a later one.
    public var fragment: UInt8 = 0
    public var ipID: UInt16 = 0
    public var l4Offset: Int = 0
    public var totalLength: Int = 0
    @inlinable public init() {}

    public static let tcpFIN: UInt8 = 0x01, tcpSYN: UInt8 = 0x02, tcpRST: UInt8 = 0x04, tcpACK: UInt8 = 0x10

    /// Reads the IPv4 header at `l3` and the transport header behind it; nil when they are cut short or invalid.
    @inlinable
    public static func parse(_ p: UnsafeRawPointer, l3: Int, available: Int) -> L4Fields? {
        guard available >= 20 else { return nil }
        let vihl = p.load(fromByteOffset: l3, as: UInt8.self)
        let ihl = Int(vihl & 0x0F) * 4
        let total = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 2, as: UInt16.self)))
        guard vihl >> 4 == 4, ihl >= 20, total >= ihl, total <= available else { return nil }
        var f = L4Fields()
        f.totalLength = total
        f.source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 12, as: UInt32.self))
        f.destination = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 16, as: UInt32.self))
        f.proto = p.load(fromByteOffset: l3 + 9, as: UInt8.self)
        f.ipID = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 4, as: UInt16.self))
        let fragmentField = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 6, as: UInt16.self))
        if fragmentField & 0x1FFF != 0 { f.fragment = 2; return f }
        if fragmentField & 0x2000 != 0 { f.fragment = 1 }
        let l4 = l3 + ihl
        let l4Length = total - ihl
        f.l4Offset = l4
        switch f.proto {
        case IPProtocol.tcp:
            guard l4Length >= 20 else { return nil }
            let dataOffset = Int(p.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4) * 4
            guard dataOffset >= 20, dataOffset <= l4Length else { return nil }
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
            f.rulePort = f.destinationPort
            f.seq = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt32.self))
            f.ack = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 8, as: UInt32.self))
            f.tcpFlags = p.load(fromByteOffset: l4 + 13, as: UInt8.self)
            f.window = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 14, as: UInt16.self))
            f.payload = UInt32(l4Length - dataOffset)
            if f.tcpFlags & tcpSYN != 0 {
                // The window scale option, announced only on SYNs.
                var o = l4 + 20
                while o < l4 + dataOffset {
                    let kind = p.load(fromByteOffset: o, as: UInt8.self)
                    if kind == 0 { break }
                    if kind == 1 { o += 1; continue }
                    guard o + 1 < l4 + dataOffset else { break }
                    let length = Int(p.load(fromByteOffset: o + 1, as: UInt8.self))
                    guard length >= 2, o + length <= l4 + dataOffset else { break }
                    if kind == 3 && length == 3 { f.windowScale = min(p.load(fromByteOffset: o + 2, as: UInt8.self), 14) }
                    o += length
                }
            }
        case IPProtocol.udp:
            guard l4Length >= 8 else { return nil }
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
            f.rulePort = f.destinationPort
            f.payload = UInt32(l4Length - 8)
        case IPProtocol.icmp:
            guard l4Length >= 8 else { return nil }
            f.icmpType = p.load(fromByteOffset: l4, as: UInt8.self)
            f.rulePort = UInt16(f.icmpType) << 8 | UInt16(p.load(fromByteOffset: l4 + 1, as: UInt8.self))
            let id = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt16.self))
            if f.icmpType == 8 { f.sourcePort = id; f.destinationPort = 0x0800 }
            if f.icmpType == 0 { f.sourcePort = 0x0800; f.destinationPort = id }
        default:
            break
        }
        return f
    }

    /// The packet an ICMP error quotes (its IPv4 header and first 8 bytes), at `offset`.
    @inlinable
    public static func parseQuoted(_ p: UnsafeRawPointer, at offset: Int, available: Int) -> L4Fields? {
        guard available >= 28 else { return nil }
        let ihl = Int(p.load(fromByteOffset: offset, as: UInt8.self) & 0x0F) * 4
        guard ihl >= 20, available >= ihl + 8 else { return nil }
        var f = L4Fields()
        f.source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
        f.destination = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
        f.proto = p.load(fromByteOffset: offset + 9, as: UInt8.self)
        let l4 = offset + ihl
        switch f.proto {
        case IPProtocol.tcp, IPProtocol.udp:
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
        case IPProtocol.icmp:
            let type = p.load(fromByteOffset: l4, as: UInt8.self)
            let id = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt16.self))
            if type == 8 { f.sourcePort = id; f.destinationPort = 0x0800 }
            if type == 0 { f.sourcePort = 0x0800; f.destinationPort = id }
        default: break
        }
        return f
    }

    @inlinable public var isICMPError: Bool {
        proto == IPProtocol.icmp && (icmpType == 3 || icmpType == 4 || icmpType == 5 || icmpType == 11 || icmpType == 12)
    }
    @inlinable public var isICMPEcho: Bool { proto == IPProtocol.icmp && (icmpType == 8 || icmpType == 0) }
}

/// A later fragment's identity: it carries no ports, so it follows its first fragment by these.
public struct FragmentKey: TableKey {
    public var addresses: UInt64
    public var rest: UInt64   // ip id << 32 | protocol << 16 | zone
    @inlinable public init(source: UInt32, destination: UInt32, id: UInt16, protocol proto: UInt8, zone: UInt16) {
        addresses = UInt64(source) << 32 | UInt64(destination)
        rest = UInt64(id) << 32 | UInt64(proto) << 16 | UInt64(zone)
    }
    @inlinable public var hash64: UInt64 { mix64(addresses ^ (rest &* 0x9E37_79B9_7F4A_7C15)) }
}

/// acl: security groups with connection tracking. Packets from a guarded port are checked here, before
/// l2 (its egress rules); packets to a guarded port are checked by the output stage as it delivers them
/// (`admit`), floods and routed packets included (the port's ingress rules). Each guarded port is its own
/// conntrack zone. A packet of a tracked connection passes on the conntrack lookup alone; only a new
/// connection is classified. Rule changes bump `generation`, and a connection is re-checked against the
/// new rules on its next packet: still allowed, it goes on; not allowed, it ends (`ct-revoked`).
/// Decides: drop (acl-deny, acl-default-deny, ct-invalid, ct-table-full, ct-revoked, acl-fragment-untracked,
/// acl-malformed, acl-ipv6-unsupported). Reads meta: inPort, etherType, l3Offset, length.
public struct ACLStage {
    public private(set) var table: SecurityTable
    public var conntrack: ConnTable
    @usableFromInline var fragments: OpenTable<FragmentKey, UInt64>
    /// Hits per rule id (classifications, not packets of tracked connections).
    public private(set) var ruleHits: UnsafeMutablePointer<UInt64>
    public private(set) var ruleHitCount: Int
    public private(set) var generation: UInt32 = 1
    /// Some port has security groups: without any, deliveries skip the acl check on a plain flag
    /// (no reference to the table is taken per packet).
    @usableFromInline private(set) var anyGuarded = false
    /// Picks up TCP connections mid-stream (an ACK without a tracked connection is classified as if new).
    public var loose = false
    public var fragmentsFollowed: UInt64 = 0
    @usableFromInline let trace: TraceBuffer
    public static let fragmentTimeout: UInt64 = 5_000_000_000

    public init(maxPorts: Int, capacity: Int = 262_144, trace: TraceBuffer) {
        table = .empty(maxPorts: maxPorts)
        conntrack = ConnTable(capacity: capacity)
        fragments = OpenTable(limit: 8192)
        ruleHitCount = ACLRuleInfo.builtIn.count
        ruleHits = .allocate(capacity: ruleHitCount)
        ruleHits.initialize(repeating: 0, count: ruleHitCount)
        self.trace = trace
    }

    /// Adopts new security groups between batches. Hit counters follow their rules (by group and rule
    /// text); tracked connections are re-checked on their next packet when the decisions may differ; the
    /// connections of ports that are no longer guarded are forgotten.
    public mutating func adopt(_ newTable: SecurityTable) {
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
        conntrack.stats.flushed &+= UInt64(conntrack.removeAll { !guarded.isGuarded(Int($0.key.zone)) })
        table = newTable
        anyGuarded = newTable.guardedCount > 0
    }

    /// Forgets the connections of one port's zone (the port was removed or re-created).
    public mutating func forget(zone: UInt16) {
        conntrack.stats.flushed &+= UInt64(conntrack.removeAll { $0.key.zone == zone })
    }

    public mutating func tick(now: UInt64) {
        conntrack.sweep(now: now)
        _ = fragments.removeAll { _, expiry in expiry < now }
    }

    /// Checks the batch's frames from guarded ports against their egress rules.
    @inlinable
    public mutating func process(_ batch: borrowing PacketBatch, pool: FramePool, decisions: UnsafeMutablePointer<Decision>,
                                 now: UInt64, dryRun: Bool = false) {
        guard anyGuarded else { return }
        for i in 0..<batch.count where decisions[i].action != .drop {
            let port = Int(pool.meta[Int(batch[i])].inPort)
            guard table.isGuarded(port) else { continue }
            if let reason = check(batch[i], port: port, ingress: false, pool: pool, now: now, dryRun: dryRun) {
                decisions[i] = .drop(reason)
            }
        }
    }

    /// Checks a frame about to be delivered to a guarded port against that port's ingress rules; nil: it may go.
    @inlinable @inline(__always)
    public mutating func admit(_ f: FrameIndex, to port: Int, pool: FramePool, now: UInt64, dryRun: Bool) -> DropReason? {
        guard anyGuarded, table.isGuarded(port) else { return nil }
        return check(f, port: port, ingress: true, pool: pool, now: now, dryRun: dryRun)
    }

    @inlinable
    mutating func check(_ f: FrameIndex, port: Int, ingress: Bool, pool: FramePool, now: UInt64, dryRun: Bool) -> DropReason? {
        let m = pool.meta + Int(f)
        var rule: UInt32 = 0
        let (reason, outcome) = decide(UnsafeRawPointer(pool.data(f)), m, port: port, ingress: ingress, now: now,
                                       dryRun: dryRun, rule: &rule)
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
    mutating func decide(_ p: UnsafeRawPointer, _ m: UnsafeMutablePointer<FrameMeta>, port: Int, ingress: Bool, now: UInt64,
                         dryRun: Bool, rule: inout UInt32) -> (DropReason?, ACLOutcome) {
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        switch m.pointee.etherType {
        case EtherType.ipv4: break
        case EtherType.arp: return (nil, .notIP)
        case EtherType.ipv6:
            // Neighbour discovery (router/neighbour solicitation and advertisement) keeps the link working.
            if available >= 42 && p.load(fromByteOffset: l3 + 6, as: UInt8.self) == IPProtocol.icmpv6 {
                let type = p.load(fromByteOffset: l3 + 40, as: UInt8.self)
                if type >= 133 && type <= 136 { return (nil, .notIP) }
            }
            return (.aclIPv6Unsupported, .malformed)
        default:
            // Other protocols: out is allowed, in is the ingress default.
            if ingress { rule = ACLRuleID.ingressDefault; return (.aclDefaultDeny, .denied) }
            rule = ACLRuleID.egressDefault
            return (nil, .stateless)
        }
        guard let fields = L4Fields.parse(p, l3: l3, available: available) else { return (.aclMalformed, .malformed) }
        let zone = UInt16(port)
        if fields.fragment == 2 {
            let key = FragmentKey(source: fields.source, destination: fields.destination, id: fields.ipID,
                                  protocol: fields.proto, zone: zone)
            if let slot = fragments.find(key), fragments.value(at: slot).pointee >= now {
                if !dryRun { fragmentsFollowed &+= 1 }
                return (nil, .fragment)
            }
            return (.aclFragmentUntracked, .denied)
        }
        var quoted: L4Fields?
        if fields.isICMPError {
            quoted = L4Fields.parseQuoted(p, at: fields.l4Offset + 8, available: l3 + fields.totalLength - fields.l4Offset - 8)
        }
        let (reason, outcome) = decideConnection(fields, quoted: quoted, port: port, zone: zone, ingress: ingress, now: now,
                                                 dryRun: dryRun, rule: &rule)
        if reason == nil && fields.fragment == 1 && !dryRun {
            let key = FragmentKey(source: fields.source, destination: fields.destination, id: fields.ipID,
                                  protocol: fields.proto, zone: zone)
            if let slot = fragments.find(key) {
                fragments.value(at: slot).pointee = now &+ Self.fragmentTimeout
            } else {
                _ = fragments.insert(key, now &+ Self.fragmentTimeout)   // full: later fragments are dropped and counted
            }
        }
        return (reason, outcome)
    }

    @inlinable
    mutating func decideConnection(_ f: L4Fields, quoted: L4Fields?, port: Int, zone: UInt16, ingress: Bool, now: UInt64, dryRun: Bool,
                                   rule: inout UInt32) -> (DropReason?, ACLOutcome) {
        let key = ConnKey(source: f.source, destination: f.destination, sourcePort: f.sourcePort,
                          destinationPort: f.destinationPort, protocol: f.proto, zone: zone)
        if !dryRun { conntrack.stats.lookups &+= 1 }
        if let (e, reply) = conntrack.find(key) {
            if conntrack.isExpired(e, now: now) {
                if !dryRun { conntrack.remove(e); conntrack.stats.expired &+= 1 }
            } else {
                rule = conntrack.entries[e].rule
                if conntrack.entries[e].generation != generation {
                    let verdict = revalidate(conntrack.entries[e])
                    if verdict.deny {
                        rule = verdict.rule
                        if !dryRun { conntrack.remove(e); conntrack.stats.revoked &+= 1 }
                        return (.ctRevoked, .revoked)
                    }
                    if !dryRun { conntrack.entries[e].generation = generation; conntrack.entries[e].rule = verdict.rule }
                }
                if dryRun { return (nil, reply ? .trackedReply : .tracked) }
                conntrack.stats.hits &+= 1
                if f.proto == IPProtocol.tcp {
                    if !trackTCP(e, reply: reply, f, now: now) {
                        conntrack.stats.invalid &+= 1
                        return (.ctInvalid, .invalid)
                    }
                } else if reply && conntrack.entries[e].state == .new {
                    conntrack.setState(e, .replied)
                }
                count(e, reply: reply, f, now: now)
                return (nil, reply ? .trackedReply : .tracked)
            }
        }
        if let inner = quoted, conntrack.find(ConnKey(source: inner.source, destination: inner.destination,
                                                       sourcePort: inner.sourcePort, destinationPort: inner.destinationPort,
                                                       protocol: inner.proto, zone: zone)) != nil {
            rule = ACLRuleID.related
            if !dryRun { conntrack.stats.related &+= 1 }
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
                if !dryRun { conntrack.stats.invalid &+= 1 }
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
        guard let e = conntrack.insert(asReply ? key.reversed : key, state: state, origin: ingress || asReply ? 1 : 0,
                                       rule: allowedBy.rule, generation: generation, now: now) else { return (.ctTableFull, .tableFull) }
        if f.proto == IPProtocol.tcp {
            let c = conntrack.entries + e
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
        count(e, reply: asReply, f, now: now)
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
        let proto = c.key.proto
        let rulePort = proto == IPProtocol.tcp || proto == IPProtocol.udp || proto == IPProtocol.icmp ? c.key.destinationPort : 0
        return classify(port: Int(c.key.zone), ingress: ingress, remote: ingress ? c.key.source : c.key.destination,
                        proto: proto, rulePort: rulePort)
    }

    @inlinable @inline(__always)
    mutating func count(_ e: Int, reply: Bool, _ f: L4Fields, now: UInt64) {
        let c = conntrack.entries + e
        c.pointee.lastSeen = now
        if reply {
            c.pointee.packets.1 &+= 1; c.pointee.bytes.1 &+= UInt64(f.totalLength); c.pointee.seenReply = true
        } else {
            c.pointee.packets.0 &+= 1; c.pointee.bytes.0 &+= UInt64(f.totalLength)
        }
    }

    /// Moves a TCP connection through its states; false when the packet fits none (ct-invalid).
    @inlinable
    mutating func trackTCP(_ e: Int, reply: Bool, _ f: L4Fields, now: UInt64) -> Bool {
        let c = conntrack.entries + e
        let syn = f.tcpFlags & L4Fields.tcpSYN != 0, ack = f.tcpFlags & L4Fields.tcpACK != 0
        let fin = f.tcpFlags & L4Fields.tcpFIN != 0, rst = f.tcpFlags & L4Fields.tcpRST != 0
        let state = c.pointee.state
        if rst {
            guard rstAcceptable(c, reply: reply, f) else { return false }
            conntrack.setState(e, .closed)
            return true
        }
        switch state {
        case .synSent:
            if reply {
                guard syn else { return false }
                if ack { guard acknowledgesSYN(c, f) else { return false } }
                c.pointee.windowScale.1 = f.windowScale
                conntrack.setState(e, .synReceived)
            } else {
                guard syn && !ack else { return false }   // a retransmitted SYN
            }
        case .synReceived:
            if !reply && ack && !syn { conntrack.setState(e, .established) }
        case .established, .finWait:
            break
        case .timeWait, .closed:
            if !reply && syn && !ack {
                // The port pair is used again: a new connection in the same entry.
                c.pointee.finSeen = 0
                c.pointee.nextSeq = (f.seq, 0); c.pointee.window = (0, 0); c.pointee.windowScale = (f.windowScale, 0xFF)
                c.pointee.initialSeq = f.seq
                c.pointee.packets.1 = 0
                conntrack.setState(e, .synSent)
            } else if state == .closed {
                return false
            }
        default:
            return false
        }
        if fin {
            c.pointee.finSeen |= reply ? 2 : 1
            conntrack.setState(e, c.pointee.finSeen == 3 ? .timeWait : .finWait)
        }
        // Sequence and window tracking, for the RST check.
        let end = f.seq &+ f.payload &+ (syn ? 1 : 0) &+ (fin ? 1 : 0)
        let scalesKnown = c.pointee.windowScale.0 != 0xFF && c.pointee.windowScale.1 != 0xFF
        if reply {
            if c.pointee.packets.1 == 0 || Int32(bitPattern: end &- c.pointee.nextSeq.1) > 0 { c.pointee.nextSeq.1 = end }
            let w = UInt32(f.window) << (scalesKnown && !syn ? UInt32(c.pointee.windowScale.1) : 0)
            if w > c.pointee.window.1 { c.pointee.window.1 = w }
        } else {
            if Int32(bitPattern: end &- c.pointee.nextSeq.0) > 0 { c.pointee.nextSeq.0 = end }
            let w = UInt32(f.window) << (scalesKnown && !syn ? UInt32(c.pointee.windowScale.0) : 0)
            if w > c.pointee.window.0 { c.pointee.window.0 = w }
        }
        return true
    }

    /// The answer to a SYN acknowledges it: somewhere from the SYN + 1 to the end of any data it carried.
    @inlinable @inline(__always)
    func acknowledgesSYN(_ c: UnsafeMutablePointer<Connection>, _ f: L4Fields) -> Bool {
        let past = f.ack &- (c.pointee.initialSeq &+ 1)
        return past <= c.pointee.nextSeq.0 &- (c.pointee.initialSeq &+ 1)
    }

    /// A RST must be in the receiver's window of the sender's sequence space (blind resets are not).
    @inlinable
    func rstAcceptable(_ c: UnsafeMutablePointer<Connection>, reply: Bool, _ f: L4Fields) -> Bool {
        if c.pointee.state == .synSent {
            // Refused: the reset acknowledges the SYN.
            guard reply, f.tcpFlags & L4Fields.tcpACK != 0 else { return !reply }
            return acknowledgesSYN(c, f)
        }
        let seenFromSender = reply ? c.pointee.packets.1 > 0 : c.pointee.packets.0 > 0
        guard seenFromSender else { return true }
        let expected = reply ? c.pointee.nextSeq.1 : c.pointee.nextSeq.0
        let receiverWindow = max(reply ? c.pointee.window.0 : c.pointee.window.1, 65_535)
        return Int64(Int32(bitPattern: f.seq &- expected)).magnitude <= UInt64(receiverWindow)
    }
}
