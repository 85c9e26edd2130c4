import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore

/// The classifier against a brute-force reference, and the acl stage's connection tracking through the
/// real pipeline: port 0 is "web" (10.0.0.1), port 1 is "db" (10.0.0.2, ingress tcp/5432 from web allowed),
/// port 2 is open (10.0.0.3). All in one network.
@Suite struct SecurityGroupTests {
    static let web: UInt32 = 0x0A00_0001, db: UInt32 = 0x0A00_0002, open: UInt32 = 0x0A00_0003
    static let macs = [Hosts.a, Hosts.b, Hosts.c]
    static let ips = [web, db, open]

    struct Rule { var match: ACLMatch; var verdict: ACLVerdict; var policy: Int }

    /// A table where port 0 and port 1 are guarded; `dbRules` are db's ingress rules.
    static func table(dbIngress: [(ACLMatch, Bool)], webIngress: [(ACLMatch, Bool)] = [], signature: String) -> SecurityTable {
        var b = ACLClassifierBuilder()
        let webIn = b.addPolicy(), webOut = b.addPolicy(), dbIn = b.addPolicy(), dbOut = b.addPolicy()
        var id = ACLRuleID.firstConfigured
        for (policy, rules) in [(dbIn, dbIngress), (webIn, webIngress)] {
            for (m, deny) in rules {
                b.add(policy: policy, match: m, verdict: ACLVerdict(rule: id, priority: 0, deny: deny))
                id += 1
            }
        }
        var ingress = [Int32](repeating: -1, count: 16), egress = [Int32](repeating: -1, count: 16)
        ingress[0] = Int32(webIn); egress[0] = Int32(webOut); ingress[1] = Int32(dbIn); egress[1] = Int32(dbOut)
        var rules = ACLRuleInfo.builtIn
        while rules.count < Int(id) {
            rules.append(ACLRuleInfo(id: UInt32(rules.count), group: "g", index: rules.count, direction: "ingress", action: "allow",
                                     priority: 0, text: "rule \(rules.count)"))
        }
        return SecurityTable(maxPorts: 16, ingressPolicy: ingress, egressPolicy: egress, classifier: b.build(), rules: rules,
                             groupsOfPort: [0: ["web"], 1: ["db"]], signature: signature)
    }

    static let postgres = ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: web, remoteLength: 32, ports: 5432...5432)

    func harness(connections: Int = 4096, dbIngress: [(ACLMatch, Bool)] = [(postgres, false)]) -> PipelineHarness {
        let h = PipelineHarness(memberships: [0: .access(0), 1: .access(0), 2: .access(0)])
        h.pipeline.conntrack = ConnTracker(capacity: connections)
        h.pipeline.adopt(security: Self.table(dbIngress: dbIngress, signature: "v1"))
        // Every host known to the FDB, so unicast goes straight to its port.
        for p in 0..<3 {
            h.send(port: UInt16(p), PacketBuilder.arpRequest(source: Self.macs[p], senderIP: Self.ips[p], targetIP: 0x0A00_00FE))
        }
        return h
    }

    func tcp(_ from: Int, _ to: Int, sport: UInt16, dport: UInt16, seq: UInt32, ack: UInt32 = 0, flags: UInt8,
             payload: [UInt8] = []) -> [UInt8] {
        PacketBuilder.ethernet(destination: Self.macs[to], source: Self.macs[from], etherType: EtherType.ipv4,
                               payload: PacketBuilder.tcp(source: Self.ips[from], destination: Self.ips[to], sourcePort: sport,
                                                          destinationPort: dport, sequence: seq, acknowledgment: ack, flags: flags,
                                                          payload: payload))
    }
    func udp(_ from: Int, _ to: Int, sport: UInt16, dport: UInt16) -> [UInt8] {
        PacketBuilder.ethernet(destination: Self.macs[to], source: Self.macs[from], etherType: EtherType.ipv4,
                               payload: PacketBuilder.udp(source: Self.ips[from], destination: Self.ips[to], sourcePort: sport,
                                                          destinationPort: dport, payload: [1, 2, 3]))
    }
    func delivered(_ h: PipelineHarness, _ from: Int, _ frame: [UInt8], to: Int) -> Bool {
        h.send(port: UInt16(from), frame)[to]?.count == 1
    }

    // MARK: classifier

    @Test func classifierAgreesWithBruteForce() {
        var rng = SystemRandomNumberGenerator()
        var builder = ACLClassifierBuilder()
        let policies = [builder.addPolicy(), builder.addPolicy()]
        var rules: [Rule] = []
        let protocols: [UInt8?] = [nil, IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp]
        for i in 0..<400 {
            var m = ACLMatch(protocolNumber: protocols.randomElement(using: &rng)!,
                             remoteAddress: UInt32.random(in: 0x0A00_0000...0x0A00_03FF, using: &rng),
                             remoteLength: [0, 8, 22, 24, 30, 32].randomElement(using: &rng)!)
            if m.protocolNumber == IPProtocol.tcp || m.protocolNumber == IPProtocol.udp, Bool.random(using: &rng) {
                let lo = UInt16.random(in: 0...2000, using: &rng)
                m.ports = lo...(lo + UInt16.random(in: 0...300, using: &rng))
            } else if m.protocolNumber == IPProtocol.icmp, Bool.random(using: &rng) {
                m.icmpType = [0, 3, 8].randomElement(using: &rng)!
                if Bool.random(using: &rng) { m.icmpCode = UInt8.random(in: 0...3, using: &rng) }
            }
            let v = ACLVerdict(rule: UInt32(i + 10), priority: Int32.random(in: 0...5, using: &rng), deny: Bool.random(using: &rng))
            let policy = policies.randomElement(using: &rng)!
            rules.append(Rule(match: m, verdict: v, policy: policy))
            builder.add(policy: policy, match: m, verdict: v)
        }
        let classifier = builder.build()
        for _ in 0..<20_000 {
            let policy = policies.randomElement(using: &rng)!
            let remote = UInt32.random(in: 0x0A00_0000...0x0A00_03FF, using: &rng)
            let proto = [IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, 47].randomElement(using: &rng)!
            let port = proto == IPProtocol.icmp ? UInt16([0, 3, 8].randomElement(using: &rng)!) << 8 | UInt16.random(in: 0...3, using: &rng)
                : UInt16.random(in: 0...2400, using: &rng)
            var expected: ACLVerdict?
            for r in rules where r.policy == policy && r.match.matches(remote: remote, protocol: proto, port: port) {
                if expected == nil || r.verdict.beats(expected!) { expected = r.verdict }
            }
            let got = classifier.classify(policy: policy, remote: remote, protocol: proto, port: port)
            #expect(got?.priority == expected?.priority && got?.deny == expected?.deny,
                    "policy \(policy) remote \(remote) proto \(proto) port \(port): \(String(describing: got)) vs \(String(describing: expected))")
            if let got {
                let rule = rules.first { $0.verdict.rule == got.rule }!
                #expect(rule.match.matches(remote: remote, protocol: proto, port: port))
            }
        }
    }

    @Test func portRangesSplitIntoAlignedBlocks() {
        let m = ACLMatch(protocolNumber: IPProtocol.tcp, ports: 1000...1999)
        let blocks = m.portBlocks()
        var covered = Set<Int>()
        for (value, length) in blocks {
            let size = 1 << (16 - length)
            #expect(Int(value) % size == 0)
            for p in Int(value)..<Int(value) + size { #expect(covered.insert(p).inserted) }
        }
        #expect(covered == Set(1000...1999))
        #expect(ACLMatch(protocolNumber: IPProtocol.tcp, ports: 0...65535).portBlocks().count == 1)
    }

    // MARK: connection tracking

    @Test func allowedConnectionFlowsBothWaysAndOthersAreRefused() {
        let h = harness()
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x02), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 101, flags: 0x12), to: 0))
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x10), to: 1))
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x18, payload: [1, 2, 3]), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 901, flags: 0x18, payload: [4, 5]), to: 0))
        let inDB = h.pipeline.conntrack.table.find(ConnTuple(ipv4Source: Self.web, destination: Self.db, sourcePort: 40000,
                                                         destinationPort: 5432, protocol: IPProtocol.tcp, zone: .port(1)))
        #expect(inDB != nil && h.pipeline.conntrack.table.entries[inDB!.entry].state == .established)

        // Another port, UDP, and ping: nothing allows them into db.
        #expect(!delivered(h, 0, tcp(0, 1, sport: 40001, dport: 22, seq: 1, flags: 0x02), to: 1))
        #expect(!delivered(h, 0, udp(0, 1, sport: 5000, dport: 53), to: 1))
        #expect(h.drops(1)[.aclDefaultDeny] == 2)
        // The open port takes anything, and web's egress is allowed by default.
        #expect(delivered(h, 0, udp(0, 2, sport: 5000, dport: 53), to: 2))
        // What db did not ask for from web, web's zone refuses: no connection, not a SYN.
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 41000, seq: 5, flags: 0x12), to: 0))
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 41000, seq: 5, flags: 0x10), to: 0))
        #expect(h.drops(1)[.ctInvalid] == 2)
        #expect(h.pipeline.securityGroups.ruleHits[Int(ACLRuleID.firstConfigured)] == 1)
        #expect(h.allFramesFree)
    }

    @Test func aSynAckThatDoesNotAcknowledgeTheSynIsInvalid() {
        let h = harness()
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x02), to: 1))
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 5000, flags: 0x12), to: 0))
        #expect(h.drops(1)[.ctInvalid] == 1)
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 101, flags: 0x12), to: 0))
    }

    @Test func aRuleChangeEndsConnectionsItNoLongerAllows() {
        let h = harness()
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x02), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 101, flags: 0x12), to: 0))
        // Same rules again: nothing changes.
        h.pipeline.adopt(security: Self.table(dbIngress: [(Self.postgres, false)], signature: "v1"))
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x10), to: 1))
        // The rule is gone: the next packet ends the connection in db's zone.
        h.pipeline.adopt(security: Self.table(dbIngress: [], signature: "v2"))
        #expect(!delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x18, payload: [1]), to: 1))
        #expect(h.drops(1)[.ctRevoked] == 1)
        #expect(h.pipeline.conntrack.table.stats.revoked == 1)
        // And stays ended: now the packet is not a SYN, so it is invalid.
        #expect(!delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 102, flags: 0x18, payload: [1]), to: 1))
    }

    @Test func aChangedRuleThatStillAllowsKeepsTheConnection() {
        let h = harness()
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x02), to: 1))
        let wider = ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: 0x0A00_0000, remoteLength: 24, ports: 5000...6000)
        h.pipeline.adopt(security: Self.table(dbIngress: [(wider, false)], signature: "v2"))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 101, flags: 0x12), to: 0))
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x10), to: 1))
        #expect(h.drops(1).isEmpty)
    }

    @Test func resetsOutsideTheWindowAreInvalid() {
        let h = harness()
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x02), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, ack: 101, flags: 0x12), to: 0))
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 101, flags: 0x10), to: 1))
        // A blind reset far from db's sequence numbers.
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900 &+ 3_000_000, flags: 0x04), to: 0))
        #expect(h.drops(1)[.ctInvalid] == 1)
        // One in the window closes the connection.
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 901, flags: 0x04), to: 0))
        let e = h.pipeline.conntrack.table.find(ConnTuple(ipv4Source: Self.web, destination: Self.db, sourcePort: 40000,
                                                      destinationPort: 5432, protocol: IPProtocol.tcp, zone: .port(1)))!
        #expect(h.pipeline.conntrack.table.entries[e.entry].state == .closed)
    }

    @Test func icmpErrorsAboutTrackedConnectionsAreRelated() {
        let udp53 = ACLMatch(protocolNumber: IPProtocol.udp, remoteLength: 0, ports: 53...53)
        let h = harness(dbIngress: [(udp53, false)])
        let query = PacketBuilder.udp(source: Self.web, destination: Self.db, sourcePort: 5000, destinationPort: 53, payload: [1, 2, 3])
        #expect(delivered(h, 0, udp(0, 1, sport: 5000, dport: 53), to: 1))
        // db answers with port unreachable quoting the query: web's zone has no rule for ICMP, but it is related.
        var icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + Array(query.prefix(28))
        let c = icmp.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count) }
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xFF)
        let error = PacketBuilder.ethernet(destination: Hosts.a, source: Hosts.b, etherType: EtherType.ipv4,
                                           payload: PacketBuilder.ipv4(source: Self.db, destination: Self.web, proto: IPProtocol.icmp,
                                                                       payload: icmp))
        #expect(delivered(h, 1, error, to: 0))
        // Related twice: leaving db's zone and entering web's.
        #expect(h.pipeline.conntrack.table.stats.related == 2)
        // Unrelated: an unsolicited echo request into web is the ingress default.
        let ping = PacketBuilder.ethernet(destination: Hosts.a, source: Hosts.b, etherType: EtherType.ipv4,
                                          payload: PacketBuilder.icmpEcho(source: Self.db, destination: Self.web, identifier: 7, sequence: 1))
        #expect(!delivered(h, 1, ping, to: 0))
        #expect(h.drops(0)[.aclDefaultDeny] == 1)
    }

    @Test func pingRepliesFollowTheirRequests() {
        let h = harness()
        let request = PacketBuilder.ethernet(destination: Hosts.c, source: Hosts.a, etherType: EtherType.ipv4,
                                             payload: PacketBuilder.icmpEcho(source: Self.web, destination: Self.open, identifier: 9, sequence: 1))
        #expect(delivered(h, 0, request, to: 2))
        var reply = PacketBuilder.icmpEcho(source: Self.open, destination: Self.web, identifier: 9, sequence: 1)
        reply[20] = 0   // type 0: echo reply (the checksum is not checked here)
        #expect(delivered(h, 2, PacketBuilder.ethernet(destination: Hosts.a, source: Hosts.c, etherType: EtherType.ipv4, payload: reply), to: 0))
        #expect(h.drops(0).isEmpty)
    }

    @Test func laterFragmentsFollowTheFirst() {
        let h = harness(dbIngress: [(ACLMatch(protocolNumber: IPProtocol.udp, ports: 53...53), false)])
        func fragment(id: UInt16, offset: UInt16, more: Bool, payload: [UInt8]) -> [UInt8] {
            var ip = PacketBuilder.ipv4(source: Self.web, destination: Self.db, proto: IPProtocol.udp, id: id, dontFragment: false,
                                        payload: payload)
            let field = (more ? 0x2000 : 0) | offset
            ip[6] = UInt8(field >> 8); ip[7] = UInt8(field & 0xFF)
            return PacketBuilder.ethernet(destination: Hosts.b, source: Hosts.a, etherType: EtherType.ipv4, payload: ip)
        }
        let udpHeader: [UInt8] = [0x13, 0x88, 0, 53, 0, 40, 0, 0] + Array(repeating: 7, count: 16)
        #expect(delivered(h, 0, fragment(id: 77, offset: 0, more: true, payload: udpHeader), to: 1))
        #expect(delivered(h, 0, fragment(id: 77, offset: 3, more: false, payload: Array(repeating: 8, count: 16)), to: 1))
        #expect(!delivered(h, 0, fragment(id: 78, offset: 3, more: false, payload: Array(repeating: 8, count: 16)), to: 1))
        // Web's own zone already refuses it: no first fragment 78 left web.
        #expect(h.drops(0)[.aclFragmentUntracked] == 1)
    }

    @Test func aFullTableEvictsTheOldestUnestablishedThenRefuses() {
        let h = harness(connections: 4, dbIngress: [(ACLMatch(protocolNumber: IPProtocol.udp), false)])
        // web -> open port: tracked in web's zone only. Four unanswered UDP flows fill the table.
        for sport in UInt16(1000)..<1004 { #expect(delivered(h, 0, udp(0, 2, sport: sport, dport: 9), to: 2)) }
        #expect(h.pipeline.conntrack.table.count == 4)
        // A fifth evicts the oldest (sport 1000).
        #expect(delivered(h, 0, udp(0, 2, sport: 1004, dport: 9), to: 2))
        #expect(h.pipeline.conntrack.table.stats.evicted == 1)
        #expect(h.pipeline.conntrack.table.find(ConnTuple(ipv4Source: Self.web, destination: Self.open, sourcePort: 1000, destinationPort: 9,
                                                      protocol: IPProtocol.udp, zone: .port(0))) == nil)
        // Answer all four: every entry is established (replied), so a new flow is refused.
        for sport in UInt16(1001)..<1005 { #expect(delivered(h, 2, udp(2, 0, sport: 9, dport: sport), to: 0)) }
        #expect(!delivered(h, 0, udp(0, 2, sport: 2000, dport: 9), to: 2))
        #expect(h.drops(0)[.ctTableFull] == 1)
        #expect(h.pipeline.conntrack.table.count == 4)
    }

    @Test func timeoutsExpireConnections() {
        let h = harness(dbIngress: [(ACLMatch(protocolNumber: IPProtocol.udp), false)])
        #expect(delivered(h, 0, udp(0, 1, sport: 1000, dport: 9), to: 1))
        #expect(h.pipeline.conntrack.table.count == 2)   // web's zone and db's zone
        h.clock.advance(seconds: 31)
        h.pipeline.tick(now: h.clock.nowNanos)
        #expect(h.pipeline.conntrack.table.count == 0)
        #expect(h.pipeline.conntrack.table.stats.expired == 2)
    }

    @Test func looseModePicksUpEstablishedTCP() {
        let h = harness()
        #expect(!delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x10), to: 1))
        h.pipeline.securityGroups.loose = true
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x10), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, flags: 0x10), to: 0))
    }

    @Test func looseModeTakesAConnectionTheServerSpeaksFirstAsIncoming() {
        let h = harness()
        h.pipeline.securityGroups.loose = true
        // After a restart db (the server) happens to send first: db's zone takes the connection as coming in
        // on 5432 (its ingress rule allows that), web's zone refuses it until web itself sends.
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, flags: 0x10), to: 0))
        #expect(h.drops(0)[.aclDefaultDeny] == 1)
        let inDB = h.pipeline.conntrack.table.find(ConnTuple(ipv4Source: Self.web, destination: Self.db, sourcePort: 40000,
                                                         destinationPort: 5432, protocol: IPProtocol.tcp, zone: .port(1)))
        #expect(inDB?.reply == false && h.pipeline.conntrack.table.entries[inDB!.entry].origin == 1)
        #expect(delivered(h, 0, tcp(0, 1, sport: 40000, dport: 5432, seq: 100, flags: 0x10), to: 1))
        #expect(delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, flags: 0x10), to: 0))
        // So the 5432 rule's removal still ends it.
        h.pipeline.adopt(security: Self.table(dbIngress: [], signature: "v2"))
        #expect(!delivered(h, 1, tcp(1, 0, sport: 5432, dport: 40000, seq: 900, flags: 0x10), to: 0))
        #expect(h.drops(1)[.ctRevoked] == 1)
    }

    @Test func traceNamesTheRule() {
        let h = harness()
        let f = tcp(0, 1, sport: 40000, dport: 22, seq: 1, flags: 0x02)
        let frame = f.withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0, offload: OffloadInfo()) }!
        let records = h.pipeline.explain(frame, now: h.clock.nowNanos)
        let acl = records.filter { $0.stage == StageID.acl }
        #expect(acl.count == 2)
        #expect(acl.last?.verdict == .drop && acl.last?.reason == DropReason.aclDefaultDeny.rawValue)
        #expect(acl.last?.rule == ACLRuleID.ingressDefault)
        #expect(h.pipeline.conntrack.table.count == 0)   // a trace changes nothing
        #expect(h.drops(1).isEmpty)
    }
}
