import Benchmark
import SwivelPacket
import SwivelPipeline
import SwivelCore
import SwivelAddress

// Stages one at a time on a batch of 64 frames that stays in place (the stages here only read frames and
// write decisions and tables), and the flow table at three sizes. Parse is in PipelineBenchmarks.swift.

func stageBenchmarks() {
    let a = MACAddress(2, 0, 0, 0, 0, 0xa), b = MACAddress(2, 0, 0, 0, 0, 0xb)
    let pool = FramePool(smallCount: 256, largeCount: 1)
    let udp = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.ipv4,
                                     payload: PacketBuilder.udp(source: 0x0A00_000A, destination: 0x0A00_000B,
                                                                sourcePort: 4000, destinationPort: 5000, payload: Array(repeating: 1, count: 18)))
    var frames = PacketBatch(capacity: 64)
    for _ in 0..<64 { frames.append(udp.withUnsafeBytes { pool.make(bytes: $0, inPort: 0)! }) }
    let decisions = UnsafeMutablePointer<Decision>.allocate(capacity: 64)
    let trace = TraceBuffer()
    nonisolated(unsafe) let batch = frames
    ParseStage.process(batch, pool: pool, decisions: decisions, trace: trace)
    for i in 0..<64 { pool.meta[Int(batch[i])].network = 0 }

    let topology = Topology(maxPorts: 4, membership: [0: .access(0), 1: .access(0)],
                            security: [0: PortSecurityPolicy(addresses: [.init(mac: a, ipv4: [0x0A00_000A])])])
    Benchmark("Stage.port-security.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            for i in 0..<64 { decisions[i] = Decision(action: .flood) }
            PortSecurityStage.process(batch, pool: pool, topology: topology, decisions: decisions, trace: trace)
            blackHole(decisions[63])
        }
    }

    nonisolated(unsafe) var l2 = L2Stage(fdb: FDB(capacity: 4096, limit: 4096))
    l2.fdb.learn(network: 0, mac: b, port: 1, now: 1)
    Benchmark("Stage.l2.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            for i in 0..<64 { decisions[i] = Decision(action: .flood) }
            l2.process(batch, pool: pool, routing: .empty, decisions: decisions, now: 2, trace: trace)
            blackHole(decisions[63])
        }
    }

    // The acl stage's check of frames from a guarded port (egress rules, default allow): the first batch
    // creates the connection, the measured ones find it.
    nonisolated(unsafe) var security = SecurityGroups(maxPorts: 4, trace: trace)
    nonisolated(unsafe) var conntrack = ConnTracker(capacity: 4096)
    var builder = ACLClassifierBuilder()
    _ = builder.addPolicy(); _ = builder.addPolicy()
    security.adopt(SecurityTable(maxPorts: 4, ingressPolicy: [0, -1, -1, -1], egressPolicy: [1, -1, -1, -1], classifier: builder.build(),
                            rules: ACLRuleInfo.builtIn, groupsOfPort: [0: ["g"]], signature: "stage"), conntrack: &conntrack)
    for i in 0..<64 { decisions[i] = Decision(action: .flood) }
    ACLStage.process(batch, pool: pool, decisions: decisions, security: &security, conntrack: &conntrack, now: 2)
    precondition(conntrack.table.count == 1)
    Benchmark("Stage.acl-tracked-udp.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            for i in 0..<64 { decisions[i] = Decision(action: .flood) }
            ACLStage.process(batch, pool: pool, decisions: decisions, security: &security, conntrack: &conntrack, now: 3)
            blackHole(decisions[63])
        }
    }

    // The flow table: 1 024 records per iteration of flows already in a table holding `entries` flows.
    for entries in [1_000, 65_536, 1_000_000] {
        nonisolated(unsafe) var flows = FlowTable(limit: entries + 1024)
        let keys = (0..<entries).map { FlowKey(inPort: UInt16($0 % 4), network: 0,
                                               source: MACAddress(rawValue: 0x0200_0000_0000 | UInt64($0)), destination: b) }
        for k in keys { flows.record(k, decision: .output(1), bytes: 60, now: 1) }
        nonisolated(unsafe) let probes = (0..<entries).map { keys[($0 &* 7919) % entries] }
        nonisolated(unsafe) var cursor = 0
        Benchmark("Flows.1024-records.entries-\(entries)") { benchmark in
            var c = cursor
            for _ in benchmark.scaledIterations {
                for _ in 0..<1024 {
                    flows.record(probes[c], decision: .output(1), bytes: 60, now: 2)
                    c = c + 1 == entries ? 0 : c + 1
                }
            }
            cursor = c
            blackHole(flows.table.count)
        }
    }
}
