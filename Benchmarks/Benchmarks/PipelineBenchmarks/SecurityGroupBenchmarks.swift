import Benchmark
import SwivelPacket
import SwivelPipeline
import SwivelAddress

// Security groups: classification (once per new connection) at 10, 1 000 and 10 000 rules; conntrack
// lookups and insertions at 1 000 and 1 000 000 connections; and the whole pipeline between two guarded
// ports for packets of an established connection (the common case: conntrack only) and for a stream of
// new connections (classified, tracked, the table evicting the oldest).

/// Deterministic pseudo-random numbers (splitmix64).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One policy of `count` rules shaped like real security groups: mostly single remote addresses (remote-group
/// members) with one service port, some subnets with port ranges, some ICMP, a few denies at a higher priority.
func classifier(rules count: Int) -> ACLClassifier {
    var rng = SplitMix(state: UInt64(count))
    var b = ACLClassifierBuilder()
    let policy = b.addPolicy()
    for i in 0..<count {
        var m = ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: 0x0A00_0000 | UInt32(truncatingIfNeeded: rng.next() & 0xFFFFFF),
                         remoteLength: 32, ports: 5432...5432)
        switch i % 10 {
        case 0...5: break
        case 6: m.remoteLength = 24; m.ports = 8000...8080
        case 7: m.protocolNumber = IPProtocol.udp; m.ports = 53...53; m.remoteLength = 16
        case 8: m.protocolNumber = IPProtocol.icmp; m.ports = nil; m.icmpType = 8; m.remoteLength = 8
        default: m.ports = 1024...65535; m.remoteLength = 28
        }
        b.add(policy: policy, match: m, verdict: ACLVerdict(rule: UInt32(i + 4), priority: i % 17 == 0 ? 10 : 0, deny: i % 17 == 0))
    }
    return b.build()
}

func securityGroupBenchmarks() {
    for rules in [10, 1_000, 10_000] {
        let c = classifier(rules: rules)
        var rng = SplitMix(state: 42)
        // Packets as new connections bring them: TCP to the service port from addresses in and out of the rules.
        nonisolated(unsafe) let remotes = (0..<1024).map { _ in 0x0A00_0000 | UInt32(truncatingIfNeeded: rng.next() & 0xFFFFFF) }
        nonisolated(unsafe) let ports = (0..<1024).map { i in [UInt16(5432), 8000, 53, 40000][i % 4] }
        Benchmark("ACL.1024-classifications.rules-\(rules)") { benchmark in
            for _ in benchmark.scaledIterations {
                var allowed = 0
                for i in 0..<1024 {
                    if let v = c.classify(policy: 0, remote: remotes[i], protocol: IPProtocol.tcp, port: ports[i]), !v.deny { allowed += 1 }
                }
                blackHole(allowed)
            }
        }
    }

    for entries in [1_000, 1_000_000] {
        nonisolated(unsafe) var table = ConnTable(capacity: entries + 2048)
        func key(_ i: Int) -> ConnTuple {
            ConnTuple(ipv4Source: 0x0A00_0000 | UInt32(i >> 16), destination: 0x0A01_0001, sourcePort: UInt16(truncatingIfNeeded: i),
                      destinationPort: 5432, protocol: IPProtocol.tcp, zone: .port(1))
        }
        for i in 0..<entries { _ = table.insert(key(i), state: .established, origin: 0, rule: 4, generation: 1, now: 1) }
        precondition(table.count == entries)
        // Both directions, in a scattered order across the whole table.
        nonisolated(unsafe) let probes = (0..<entries).map { i -> ConnTuple in
            let k = key((i &* 7919) % entries)
            return i % 2 == 0 ? k : k.reversed
        }
        nonisolated(unsafe) let fresh = (0..<1024).map { ConnTuple(ipv4Source: 0x0B00_0000 | UInt32($0), destination: 0x0A01_0001,
                                                                    sourcePort: 1000, destinationPort: 80, protocol: IPProtocol.tcp,
                                                                    zone: .port(2)) }
        nonisolated(unsafe) var cursor = 0
        Benchmark("Conntrack.1024-lookups.entries-\(entries)") { benchmark in
            var c = cursor
            for _ in benchmark.scaledIterations {
                var hits = 0
                for _ in 0..<1024 {
                    if table.find(probes[c]) != nil { hits += 1 }
                    c = c + 1 == entries ? 0 : c + 1
                }
                blackHole(hits)
            }
            cursor = c
        }
        Benchmark("Conntrack.1024-insert-and-remove.entries-\(entries)") { benchmark in
            for _ in benchmark.scaledIterations {
                for k in fresh {
                    if let e = table.insert(k, state: .synSent, origin: 0, rule: 4, generation: 1, now: 2) { table.remove(e) }
                }
            }
            blackHole(table.count)
        }
    }

    // Two guarded ports (0 and 1, one policy each way), A on 0 talks to B on 1 over an established TCP connection.
    let a = MACAddress(2, 0, 0, 0, 0, 0xa), b = MACAddress(2, 0, 0, 0, 0, 0xb)
    func guarded(_ bench: Bench, rules: Int) {
        var builder = ACLClassifierBuilder()
        let inA = builder.addPolicy(), outA = builder.addPolicy(), inB = builder.addPolicy(), outB = builder.addPolicy()
        _ = (inA, outA, outB)
        var rng = SplitMix(state: 7)
        for i in 0..<rules - 1 {
            builder.add(policy: inB, match: ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: 0xAC10_0000 | UInt32(truncatingIfNeeded: rng.next() & 0xFFFF),
                                                     remoteLength: 32, ports: 6000...6010),
                        verdict: ACLVerdict(rule: UInt32(i + 5), priority: 0, deny: false))
        }
        builder.add(policy: inB, match: ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: 0x0A00_000A, remoteLength: 32, ports: 5432...5432),
                    verdict: ACLVerdict(rule: 4, priority: 0, deny: false))
        builder.add(policy: inB, match: ACLMatch(protocolNumber: IPProtocol.udp, remoteAddress: 0x0A00_0000, remoteLength: 16),
                    verdict: ACLVerdict(rule: 4, priority: 0, deny: false))
        var rulesInfo = ACLRuleInfo.builtIn
        for id in rulesInfo.count..<(rules + 5) {
            rulesInfo.append(ACLRuleInfo(id: UInt32(id), group: "g", index: id, direction: "ingress", action: "allow", priority: 0, text: "r"))
        }
        bench.pipeline.adopt(security: SecurityTable(maxPorts: 4, ingressPolicy: [0, 2, -1, -1], egressPolicy: [1, 3, -1, -1],
                                                     classifier: builder.build(), rules: rulesInfo, groupsOfPort: [0: ["a"], 1: ["b"]],
                                                     signature: "bench"))
    }
    func tcp(_ from: MACAddress, _ to: MACAddress, _ src: UInt32, _ dst: UInt32, _ sport: UInt16, _ dport: UInt16,
             seq: UInt32, ack: UInt32, flags: UInt8, payload: Int = 0) -> [UInt8] {
        PacketBuilder.ethernet(destination: to, source: from, etherType: EtherType.ipv4,
                               payload: PacketBuilder.tcp(source: src, destination: dst, sourcePort: sport, destinationPort: dport,
                                                          sequence: seq, acknowledgment: ack, flags: flags,
                                                          payload: Array(repeating: 1, count: payload)))
    }
    let data = tcp(a, b, 0x0A00_000A, 0x0A00_000B, 40000, 5432, seq: 101, ack: 901, flags: 0x10, payload: 6)
    for size in [1, 32, 64, 256] {
        let established = Bench(frames: [data], batchSize: size)
        guarded(established, rules: 1_000)
        established.run([(0, tcp(a, b, 0x0A00_000A, 0x0A00_000B, 40000, 5432, seq: 100, ack: 0, flags: 0x02))])
        established.run([(1, tcp(b, a, 0x0A00_000B, 0x0A00_000A, 5432, 40000, seq: 900, ack: 101, flags: 0x12))])
        established.run([(0, tcp(a, b, 0x0A00_000A, 0x0A00_000B, 40000, 5432, seq: 101, ack: 901, flags: 0x10))])
        precondition(established.pipeline.conntrack.table.count == 2 && established.pipeline.counters.snapshot(port: 0).drops.isEmpty
                     && established.pipeline.counters.snapshot(port: 1).drops.isEmpty)
        steadyState("Pipeline.acl-established-tcp.batch-\(size)", established)
    }

    // Every frame a new UDP connection into B (source port and address counting up), classified among
    // 10 000 rules and tracked in both zones; the 65 536-entry table evicts the oldest unanswered ones.
    let udp = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.ipv4,
                                     payload: PacketBuilder.udp(source: 0x0A00_000A, destination: 0x0A00_000B,
                                                                sourcePort: 1, destinationPort: 7000, payload: Array(repeating: 1, count: 18)))
    let fresh = Bench(frames: [udp], connections: 65_536)
    guarded(fresh, rules: 10_000)
    nonisolated(unsafe) var flow: UInt32 = 0
    Benchmark("Pipeline.acl-new-udp-connections-10000-rules.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            fresh.fillBatch()
            // Rewrite each frame's source port (UDP checksums are not checked on the way).
            for i in 0..<fresh.batch.count {
                flow &+= 1
                let p = fresh.pool.data(fresh.batch[i])
                (p + 14 + 20).storeBytes(of: UInt16(truncatingIfNeeded: flow).bigEndian, as: UInt16.self)
                (p + 14 + 14).storeBytes(of: UInt16(truncatingIfNeeded: flow >> 16).bigEndian, as: UInt16.self)   // low half of the source address
            }
            fresh.step()
        }
    }
}
