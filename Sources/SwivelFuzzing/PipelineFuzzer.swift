import SwivelPacket
import SwivelPipeline
import SwivelCore
import SwivelAddress

/// Runs decoded frames through the whole pipeline of `FuzzWorld` and checks, after every input, what must
/// hold whatever the frames were:
/// - every frame is back in the pool or in a transmit queue (and, once those are drained and the routers'
///   waiting packets flushed, the pool is whole again);
/// - a frame leaves only on a port of its network, and leaves its ingress network only when a router
///   routed it;
/// - a frame from the secured port leaves with the port's MAC and one of its addresses as source;
/// - nothing leaves the offloads-off port with a checksum to finish or as a super-frame.
/// A broken invariant stops the process (`Violation` in the message), which libFuzzer reports like a
/// crash, with the input that caused it.
public final class PipelineFuzzer {
    public let pool: FramePool
    public var pipeline: Pipeline
    var batch: PacketBatch
    var now: UInt64 = 1_000_000_000
    /// Every drop reason any input so far caused (the corpus replay test checks their coverage).
    public private(set) var reasonsSeen = Set<DropReason>()

    public struct Violation: Error, CustomStringConvertible {
        public var description: String
    }

    public init() {
        pool = FramePool(smallCount: 512, largeCount: 32, receiveReserve: 64)
        // Small tables: every input empties them again, and a large table would cost more to empty than
        // the input costs to run.
        pipeline = Pipeline(pool: pool, topology: FuzzWorld.topology(), batchCapacity: 8, fdb: FDB(capacity: 256, limit: 128),
                            flows: FlowTable(limit: 128), queueCapacity: 64, connections: 2)
        pipeline.l3.neighbors = NeighborTable(limit: 32)
        pipeline.l2.storm.configure(port: 1, pps: 2)
        pipeline.adopt(routing: FuzzWorld.routing())
        pipeline.adopt(security: FuzzWorld.security())
        for p in 0..<FuzzWorld.portCount {
            pipeline.states.isUp[p] = true
            pipeline.states.mtu[p] = p == 4 ? 1000 : 1500
            pipeline.states.acceptsOffload[p] = p != FuzzWorld.offloadsOffPort && p != Int(FuzzWorld.vxlanPort)
        }
        batch = PacketBatch(capacity: 8)
    }

    var securityChanged = false

    /// What one input did, as the golden file (`Fuzz/golden/pipeline.tsv`) records it: the frames that left
    /// each port (count, and a digest of their bytes and offload metadata, in order) and the drops by port
    /// and reason. Kept only while `recording` (the fuzz target does not pay for it).
    public struct Outcome: Equatable, CustomStringConvertible {
        public var framesOut: [Int: Int] = [:]
        public var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        public var drops: [String] = []
        public var description: String {
            let frames = framesOut.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
            let hex = String(digest, radix: 16)
            return "out=\(frames.isEmpty ? "-" : frames)\tdigest=\(String(repeating: "0", count: 16 - hex.count) + hex)\tdrops=\(drops.isEmpty ? "-" : drops.joined(separator: ","))"
        }
        mutating func fold(_ bytes: UnsafeRawBufferPointer) {
            for b in bytes { digest = (digest ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
    }
    public var recording = false
    public private(set) var outcome = Outcome()

    /// Runs one input and returns what it did (for the golden file).
    public func record(_ data: [UInt8]) throws(Violation) -> Outcome {
        recording = true
        outcome = Outcome()
        defer { recording = false }
        try run(data)
        return outcome
    }

    deinit { batch.deallocate() }

    /// One input: up to four batches of one to six frames, the security group sometimes changing between
    /// two (tracked connections are then checked again); sometimes a few once-a-second ticks; the checks
    /// after each step. Tables keep what the input taught them only until the next input (each input
    /// starts from the same state, so a crash reproduces from its input alone).
    public func run(_ data: [UInt8]) throws(Violation) {
        var input = FuzzInput(data)
        try batchOfFrames(&input)
        for _ in 0..<input.below(4) {
            if input.u8() & 3 == 0 {
                pipeline.adopt(security: FuzzWorld.security(changed: !securityChanged))
                securityChanged.toggle()
            }
            try batchOfFrames(&input)
        }
        for _ in 0..<input.pick([0, 0, 1, 4, input.below(6)]) {
            now &+= 1_000_000_000
            pipeline.tick(now: now)
            try check()
        }
        try reset()
    }

    func batchOfFrames(_ input: inout FuzzInput) throws(Violation) {
        for _ in 0..<1 + input.below(6) { admit(FrameRecipe.decode(&input)) }
        now &+= UInt64(input.u16()) * 1_000_000
        pipeline.process(&batch, now: now)
        try check()
    }

    /// What a port does with a received buffer (the same admission checks as `admitFrame` in SwivelPorts).
    func admit(_ frame: FuzzFrame) {
        let port = Int(frame.port)
        let length = frame.bytes.count
        let counters = pipeline.counters
        guard length >= Ethernet.minimumFrame || frame.port == FuzzWorld.vxlanPort else { counters.countDrop(port, .runt); return }
        if length > pipeline.states.mtu[port] + 22 && !frame.offload.isGSO { counters.countDrop(port, .oversize); return }
        if frame.offload.needsChecksum && Int(frame.offload.csumStart) + Int(frame.offload.csumOffset) + 2 > length {
            counters.countDrop(port, .badOffload)
            return
        }
        guard !batch.isFull, let f = frame.bytes.withUnsafeBytes({ pool.make(bytes: $0, inPort: frame.port, offload: frame.offload) }) else {
            counters.countDrop(port, .poolExhausted)
            return
        }
        if frame.port == FuzzWorld.vxlanPort {
            pool.meta[Int(f)].flags |= FrameMeta.encapsulated
            pool.meta[Int(f)].remote = frame.remote
        }
        batch.append(f)
    }

    func check() throws(Violation) {
        let queues = pipeline.queues
        let topology = pipeline.topology
        for p in 0..<queues.maxPorts where queues.counts[p] > 0 {
            for i in 0..<queues.counts[p] {
                let f = queues.queue(p)[i]
                let m = pool.meta[Int(f)]
                let networks = topology.membership[p]?.networks ?? []
                if !networks.contains(m.network) {
                    throw Violation(description: "Violation: a frame of network \(m.network) left on port \(p), which carries \(networks.sorted())")
                }
                if m.network != m.ingressNetwork && m.flags & FrameMeta.routed == 0 {
                    throw Violation(description: "Violation: a frame crossed from network \(m.ingressNetwork) to \(m.network) on port \(p) without a router")
                }
                if p == FuzzWorld.offloadsOffPort && !m.offload.isPlain {
                    throw Violation(description: "Violation: port \(p) has offloads off but a frame leaves it with \(m.offload)")
                }
                if Int(m.inPort) == FuzzWorld.securedPort && m.flags & FrameMeta.routed == 0 {
                    let skip = p == Int(FuzzWorld.vxlanPort) ? Vxlan.outerLength : 0
                    try checkSource(UnsafeRawPointer(pool.data(f)) + skip, length: Int(m.length) - skip, port: p)
                }
            }
            if recording { recordOut(port: p) }
            for i in 0..<queues.counts[p] { pool.free(queues.queue(p)[i]) }
            queues.counts[p] = 0
        }
    }

    func recordOut(port p: Int) {
        let queues = pipeline.queues
        outcome.framesOut[p, default: 0] += queues.counts[p]
        for i in 0..<queues.counts[p] {
            let f = queues.queue(p)[i]
            let m = pool.meta[Int(f)]
            // What the port would write: the frame and its virtio-net header's fields.
            let o = m.offload
            let header: [UInt16] = [UInt16(truncatingIfNeeded: p), m.network, UInt16(o.flags), UInt16(o.gsoType), o.headerLength,
                                    o.gsoSize, o.csumStart, o.csumOffset]
            header.withUnsafeBytes { outcome.fold($0) }
            outcome.fold(UnsafeRawBufferPointer(start: pool.data(f), count: Int(m.length)))
        }
    }

    /// A frame from the secured port, as it leaves: its source MAC and source address must be the port's.
    func checkSource(_ p: UnsafeRawPointer, length: Int, port: Int) throws(Violation) {
        guard case .success(let eth) = Ethernet.parse(p, length: length) else {
            throw Violation(description: "Violation: a frame from the secured port left port \(port) unparsable")
        }
        if eth.source != FuzzWorld.a {
            throw Violation(description: "Violation: a frame from the secured port left port \(port) from \(eth.source)")
        }
        let l3 = Int(eth.l3Offset), available = length - l3
        switch eth.etherType {
        case EtherType.ipv4 where available >= 20:
            let source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 12, as: UInt32.self))
            if source != FuzzWorld.ipA && source != 0 {
                throw Violation(description: "Violation: IPv4 from the secured port left port \(port) from \(IPv4Address.format(source))")
            }
        case EtherType.arp where available >= 28:
            let sender = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 14, as: UInt32.self))
            if sender != FuzzWorld.ipA && sender != 0 || MACAddress(loadingFrom: p + l3 + 8) != FuzzWorld.a {
                throw Violation(description: "Violation: ARP from the secured port left port \(port) claiming \(IPv4Address.format(sender))")
            }
        case EtherType.ipv6 where available >= 40:
            let source = IPv6Address(loadingFrom: p + l3 + 8)
            if source != FuzzWorld.ip6A && source != .linkLocal(eui64: FuzzWorld.a) && source != .unspecified {
                throw Violation(description: "Violation: IPv6 from the secured port left port \(port) from \(source)")
            }
        case EtherType.vlan, EtherType.qinq, EtherType.legacyQinQ:
            throw Violation(description: "Violation: a tag behind the tags of a frame from the secured port")
        default:
            break
        }
    }

    /// Back to the starting state: tables emptied, every frame back in the pool.
    func reset() throws(Violation) {
        // Far enough ahead that rate limits (ICMP budgets, storm control) are full and every timer
        // (fragments, connections) has run out: the next input starts as this one did.
        now &+= 1_000_000_000_000
        pipeline.tick(now: now)
        pipeline.l3.flushNeighbors(pool: pool, counters: pipeline.counters)
        try check()
        if securityChanged {
            pipeline.adopt(security: FuzzWorld.security())
            securityChanged = false
        }
        _ = pipeline.l2.fdb.flush()
        pipeline.l2.invalidateCache()
        _ = pipeline.flows.flush()
        _ = pipeline.conntrack.table.removeAll { _ in true }
        for p in 0..<FuzzWorld.portCount {
            for (reason, count) in pipeline.counters.snapshot(port: p).drops where count > 0 { reasonsSeen.insert(reason) }
            if recording {
                outcome.drops += pipeline.counters.snapshot(port: p).drops.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\(p):\($0.key.name)*\($0.value)" }
            }
            pipeline.counters.reset(port: p)
        }
        if pool.freeSmall != pool.smallCount || pool.freeLarge != pool.largeCount {
            throw Violation(description: "Violation: frames lost: \(pool.smallCount - pool.freeSmall) small and \(pool.largeCount - pool.freeLarge) large not back in the pool")
        }
    }
}
