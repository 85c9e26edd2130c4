import Benchmark
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

// Per-packet costs of the datapath on in-memory ports. One benchmark iteration is one batch of 64
// frames taken from the pool (as a receive would), run through the whole pipeline, and transmitted
// to memory ports that free them: the steady state of the fast path. `Mallocs (total)` must stay 0;
// the control benchmark must show exactly 1, proving the malloc counter is live in this build.
// Names have no spaces or slashes: the threshold files are written under shell-safe names but looked
// up under the raw name, so only names that need no cleaning round-trip.

/// Ports 0-3 in one network. A, B, C are learned on ports 0, 1, 2 before measuring.
final class Bench {
    let pool = FramePool(smallCount: 4096, largeCount: 4)
    var pipeline: Pipeline
    var batch = PacketBatch(capacity: 64)
    let ports: [MemoryPort]
    var now: UInt64 = 1_000_000_000
    var frames: [[UInt8]]

    /// `vlanOfPort`: the VLAN ID the warm-up broadcasts carry from each port (trunk ports in `membership`).
    init(frames: [[UInt8]], batchSize: Int = 64, flowLimit: Int = 65536,
         membership: [Int: PortMembership] = [0: .access(0), 1: .access(0), 2: .access(0), 3: .access(0)],
         security: [Int: PortSecurityPolicy] = [:], vlanOfPort: [Int: UInt16] = [:], connections: Int = 4096,
         overlay: OverlayTable = .none) {
        pipeline = Pipeline(pool: pool, topology: Topology(maxPorts: 4, membership: membership, security: security, overlay: overlay),
                            batchCapacity: 256, flows: FlowTable(limit: flowLimit), connections: connections)
        batch = PacketBatch(capacity: batchSize)
        ports = (0..<4).map { MemoryPort(id: UInt16($0), name: "m\($0)", capture: false) }
        for p in 0..<4 { pipeline.states.isUp[p] = true }
        self.frames = frames
        for (port, host) in [(0, a), (1, b), (2, c)] {
            run([(UInt16(port), PacketBuilder.ethernet(destination: .broadcast, source: host, etherType: 0x0800,
                                                       vlan: vlanOfPort[port], payload: payload))])
        }
    }

    let a = MACAddress(2, 0, 0, 0, 0, 0xa), b = MACAddress(2, 0, 0, 0, 0, 0xb), c = MACAddress(2, 0, 0, 0, 0, 0xc)
    let payload = [UInt8](repeating: 0x45, count: 46)

    func run(_ input: [(UInt16, [UInt8])]) {
        for (port, bytes) in input {
            batch.append(bytes.withUnsafeBytes { pool.make(bytes: $0, inPort: port)! })
        }
        step()
    }

    /// One batch: frames from port 0 (copied into pool frames), pipeline, transmit.
    @inline(__always)
    func step() {
        pipeline.process(&batch, now: now)
        let q = pipeline.queues
        for p in ports {
            let id = Int(p.id)
            if q.counts[id] > 0 {
                p.transmit(q.queue(id), count: q.counts[id], pool: pool, counters: pipeline.counters, ring: nil)
                q.counts[id] = 0
            }
        }
    }

    @inline(__always)
    func fillBatch() {
        frames.withUnsafeBufferPointer { fs in
            var i = 0
            while !batch.isFull {
                let f = fs[i % fs.count].withUnsafeBytes { pool.make(bytes: $0, inPort: 0)! }
                batch.append(f)
                i += 1
            }
        }
    }
}

/// A benchmark of one full batch per iteration through `bench`: the fast path's steady state.
func steadyState(_ name: String, _ bench: Bench) {
    Benchmark(name) { benchmark in
        for _ in benchmark.scaledIterations {
            bench.fillBatch()
            bench.step()
        }
    }
}

func frame(_ dst: MACAddress, _ src: MACAddress) -> [UInt8] {
    PacketBuilder.ethernet(destination: dst, source: src, etherType: 0x0800, payload: [UInt8](repeating: 0x45, count: 46))
}

let benchmarks: @Sendable () -> Void = {
    // Wall clock is noisy on shared machines: report it, gate only on allocations (deterministic).
    let allocationsMustNotChange = BenchmarkThresholds(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])
    let timeIsReportedOnly = BenchmarkThresholds(relative: [.p0: 10_000, .p25: 10_000, .p50: 10_000, .p75: 10_000, .p90: 10_000,
                                                           .p99: 10_000, .p100: 10_000],
                                                 absolute: [.p0: .giga(1), .p25: .giga(1), .p50: .giga(1), .p75: .giga(1),
                                                            .p90: .giga(1), .p99: .giga(1), .p100: .giga(1)])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        maxDuration: .seconds(2),
        maxIterations: 200_000,
        thresholds: [.mallocCountTotal: allocationsMustNotChange, .wallClock: timeIsReportedOnly])

    Benchmark("Control.one-allocation-per-iteration") { benchmark in
        for _ in benchmark.scaledIterations {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
            blackHole(p)
            p.deallocate()
        }
    }

    for size in [1, 32, 64, 256] {
        let hit = Bench(frames: [frame(MACAddress(2, 0, 0, 0, 0, 0xb), MACAddress(2, 0, 0, 0, 0, 0xa))], batchSize: size)
        steadyState("Pipeline.known-unicast-flow-hit.batch-\(size)", hit)
    }

    let flood = Bench(frames: [frame(.broadcast, MACAddress(2, 0, 0, 0, 0, 0xa))])
    steadyState("Pipeline.broadcast-flood-3-ports.batch-64", flood)

    // 64 distinct flows per batch into a flow table emptied before each batch: every packet is a miss
    // (a new flow record) and an unknown unicast that floods.
    let missFrames = (0..<64).map { frame(MACAddress(2, 0, 0, 1, 0, UInt8($0)), MACAddress(2, 0, 0, 0, 0, 0xa)) }
    let miss = Bench(frames: missFrames, flowLimit: 64)
    Benchmark("Pipeline.new-flow-miss-unknown-unicast.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            miss.pipeline.flows.flush()
            miss.fillBatch()
            miss.step()
        }
    }

    // VLAN edges: port 0 is a trunk carrying the network as VLAN 10, so every frame has its tag popped
    // on the way in (trunk to access) or pushed on the way out (access to trunk).
    let trunk: [Int: PortMembership] = [0: .trunk([10: 0]), 1: .access(0), 2: .access(0), 3: .access(0)]
    let a = MACAddress(2, 0, 0, 0, 0, 0xa), b = MACAddress(2, 0, 0, 0, 0, 0xb)
    let popping = Bench(frames: [PacketBuilder.ethernet(destination: b, source: a, etherType: 0x0800, vlan: 10,
                                                        payload: [UInt8](repeating: 0x45, count: 46))],
                        membership: trunk, vlanOfPort: [0: 10])
    steadyState("Pipeline.trunk-in-access-out-pop-tag.batch-64", popping)
    let access: [Int: PortMembership] = [0: .access(0), 1: .trunk([10: 0]), 2: .access(0), 3: .access(0)]
    let pushing = Bench(frames: [frame(b, a)], membership: access, vlanOfPort: [1: 10])
    steadyState("Pipeline.access-in-trunk-out-push-tag.batch-64", pushing)

    // Port security on the ingress port: every frame is UDP from the port's own MAC and IPv4 address.
    let udp = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.ipv4,
                                     payload: PacketBuilder.udp(source: 0x0A00_000A, destination: 0x0A00_000B,
                                                                sourcePort: 4000, destinationPort: 5000, payload: Array(repeating: 1, count: 18)))
    let secured = Bench(frames: [udp], security: [0: PortSecurityPolicy(addresses: [.init(mac: a, ipv4: [0x0A00_000A])])])
    steadyState("Pipeline.port-security-ipv4-pass.batch-64", secured)

    // Routed: port 0 in 10.1.0.0/24 (network 0), port 1 in 10.2.0.0/24 (network 1), one router between,
    // B's MAC resolved before measuring. Every frame is validated, looked up, TTL-decremented, rewritten.
    let routerBlue = MACAddress(2, 0x5e, 0, 0, 0, 1), routerRed = MACAddress(2, 0x5e, 0, 0, 0, 2)
    func routedBench(batchSize: Int) -> Bench {
        let routed = Bench(frames: [PacketBuilder.ethernet(destination: routerBlue, source: a, etherType: EtherType.ipv4,
                                                           payload: PacketBuilder.udp(source: 0x0A01_000A, destination: 0x0A02_000B,
                                                                                      sourcePort: 4000, destinationPort: 5000,
                                                                                      payload: Array(repeating: 1, count: 18)))],
                           batchSize: batchSize, membership: [0: .access(0), 1: .access(1), 2: .access(0), 3: .access(1)])
        routed.pipeline.adopt(routing: Routing(
            routerNames: ["edge"],
            interfaces: [RouterInterface(router: 0, network: 0, address: 0x0A01_0001, prefixLength: 24, mac: routerBlue),
                         RouterInterface(router: 0, network: 1, address: 0x0A02_0001, prefixLength: 24, mac: routerRed)],
            routes: [[RouteEntry(prefix: 0x0A01_0000, length: 24, nextHop: NextHop(interface: 0, gateway: 0), source: .connected),
                      RouteEntry(prefix: 0x0A02_0000, length: 24, nextHop: NextHop(interface: 1, gateway: 0), source: .connected)]]))
        routed.run([(0, routed.frames[0])])   // queued; the router asks for B
        routed.run([(1, PacketBuilder.arp(operation: 2, source: b, destination: routerRed, senderIP: 0x0A02_000B,
                                          targetMAC: routerRed, targetIP: 0x0A02_0001))])
        precondition(routed.pipeline.l3.neighbors.stats.resolved == 1)
        return routed
    }
    for size in [1, 32, 64, 256] {
        let routed = routedBench(batchSize: size)
        steadyState("Pipeline.routed-ipv4-udp.batch-\(size)", routed)
    }

    // LPM lookups at 10, 1 000, 100 000 and 1 000 000 prefixes with an Internet-like mix of lengths
    // (mostly /24, then /22, /23, /21, /20, /16, a few short and a few longer than /24). Addresses: half
    // inside installed prefixes, half anywhere; each iteration looks up 1024 of them.
    for count in [10, 1_000, 100_000, 1_000_000] {
        var seed: UInt64 = 0x5EED_0000 &+ UInt64(count)
        func next() -> UInt64 {   // splitmix64: reproducible without Foundation
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let mix: [(length: Int, weight: Int)] = [(8, 1), (12, 1), (16, 2), (17, 1), (18, 2), (19, 3), (20, 4), (21, 5),
                                                 (22, 10), (23, 9), (24, 58), (25, 1), (26, 1), (28, 1), (32, 1)]
        let totalWeight = mix.reduce(0) { $0 + $1.weight }
        var routes: [LPMTable.Route] = []
        routes.reserveCapacity(count)
        for i in 0..<count {
            var pick = Int(next() % UInt64(totalWeight))
            var length = 24
            for m in mix { if pick < m.weight { length = m.length; break }; pick -= m.weight }
            routes.append(.init(prefix: UInt32(truncatingIfNeeded: next()), length: length, value: UInt32(i % 1024)))
        }
        let table = LPMTable(routes: routes)
        let addresses = (0..<65_536).map { i -> UInt32 in
            let r = UInt32(truncatingIfNeeded: next())
            guard i % 2 == 0 else { return r }
            let route = routes[Int(next() % UInt64(routes.count))]
            return route.prefix | (route.length == 32 ? 0 : r & (UInt32.max >> route.length))
        }
        nonisolated(unsafe) var cursor = 0
        Benchmark("LPM.1024-lookups.prefixes-\(count)") { benchmark in
            var c = cursor
            for _ in benchmark.scaledIterations {
                var found: UInt32 = 0
                for _ in 0..<1024 {
                    found &+= table.lookup(addresses[c]) ?? 0
                    c = (c + 1) & 0xFFFF
                }
                blackHole(found)
            }
            cursor = c
        }
    }

    let parsePool = FramePool(smallCount: 128, largeCount: 1)
    var parseBatch = PacketBatch(capacity: 64)
    for _ in 0..<64 {
        parseBatch.append(frame(.broadcast, MACAddress(2, 0, 0, 0, 0, 1)).withUnsafeBytes { parsePool.make(bytes: $0, inPort: 0)! })
    }
    let decisions = UnsafeMutablePointer<Decision>.allocate(capacity: 64)
    let traceBuffer = TraceBuffer()
    nonisolated(unsafe) let parseInput = parseBatch
    Benchmark("Stage.parse.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            ParseStage.process(parseInput, pool: parsePool, decisions: decisions, trace: traceBuffer)
            blackHole(decisions[63])
        }
    }

    // FDB at three sizes. Each iteration is 1024 operations on a table holding `entries` MACs; divide the
    // time by 1024 for one operation. Lookups hit; refreshes re-learn a known MAC on its port (the common
    // learning case); new MACs are learned into the full-sized table and deleted again, so the table stays
    // at `entries` (that benchmark's time is one insert plus one delete per MAC).
    for entries in [1_000, 65_536, 1_000_000] {
        var fdb = FDB(capacity: entries + 1024, limit: entries + 1024)
        let macs = (0..<entries).map { MACAddress(rawValue: 0x0200_0000_0000 | UInt64($0) &* 2_654_435_761 & 0xFF_FFFF_FFFF) }
        for (i, m) in macs.enumerated() { fdb.learn(network: 0, mac: m, port: UInt16(i % 8), now: 1) }
        precondition(fdb.count == entries)
        nonisolated(unsafe) var table = fdb
        // Every entry in a scattered order, walked 1024 at a time from where the last iteration stopped: the
        // big tables are probed across all their memory (cache misses included), not in a hot corner.
        let order = (0..<entries).map { (($0 &* 7919) % entries) }
        nonisolated(unsafe) let probe = order.map { macs[$0] }
        nonisolated(unsafe) let probePorts = order.map { UInt16($0 % 8) }
        let fresh = (0..<1024).map { MACAddress(rawValue: 0x0600_0000_0000 | UInt64($0)) }
        nonisolated(unsafe) var now: UInt64 = 2
        nonisolated(unsafe) var cursor = 0
        Benchmark("FDB.1024-lookups.entries-\(entries)") { benchmark in
            var c = cursor   // a local: a captured var would be checked for exclusive access on every use
            for _ in benchmark.scaledIterations {
                var hits = 0
                for _ in 0..<1024 {
                    if table.lookup(network: 0, mac: probe[c], now: 2) != nil { hits += 1 }
                    c = c + 1 == entries ? 0 : c + 1
                }
                blackHole(hits)
            }
            cursor = c
        }
        Benchmark("FDB.1024-learn-refresh.entries-\(entries)") { benchmark in
            var c = cursor
            for _ in benchmark.scaledIterations {
                now &+= 1
                for _ in 0..<1024 {
                    table.learn(network: 0, mac: probe[c], port: probePorts[c], now: now)
                    c = c + 1 == entries ? 0 : c + 1
                }
            }
            cursor = c
            blackHole(table.count)
        }
        Benchmark("FDB.1024-learn-new-and-delete.entries-\(entries)") { benchmark in
            for _ in benchmark.scaledIterations {
                for m in fresh { table.learn(network: 0, mac: m, port: 1, now: now) }
                for m in fresh { _ = table.remove(network: 0, mac: m) }
            }
            blackHole(table.count)
        }
    }

    securityGroupBenchmarks()
    stageBenchmarks()
    overlayBenchmarks()
}
