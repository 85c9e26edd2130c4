import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

/// Drives the real pipeline with frames given as bytes and reads back what each port would transmit:
/// the switch without its devices (the vswitch's `EmbeddedChannel`).
final class PipelineHarness {
    let pool: FramePool
    var pipeline: Pipeline
    let clock = ManualClock()
    var batch: PacketBatch

    convenience init(ports: [Int: UInt16], poolFrames: Int = 256, fdb: FDB = FDB(), flows: FlowTable = FlowTable(),
                     queueCapacity: Int = 512) {
        self.init(memberships: ports.mapValues { .access($0) }, poolFrames: poolFrames, fdb: fdb, flows: flows,
                  queueCapacity: queueCapacity)
    }

    init(memberships: [Int: PortMembership], security: [Int: PortSecurityPolicy] = [:], overlay: OverlayTable = .none,
         poolFrames: Int = 256, fdb: FDB = FDB(), flows: FlowTable = FlowTable(), queueCapacity: Int = 512) {
        pool = FramePool(smallCount: poolFrames, largeCount: 8, receiveReserve: poolFrames / 8)
        pipeline = Pipeline(pool: pool, topology: Topology(maxPorts: 16, membership: memberships, security: security, overlay: overlay),
                            batchCapacity: 64, fdb: fdb, flows: flows, queueCapacity: queueCapacity)
        for p in memberships.keys { pipeline.states.isUp[p] = true }
        batch = PacketBatch(capacity: 64)
    }
    deinit { batch.deallocate() }

    /// Sends frames into the pipeline as one batch; returns the frames queued per port (and frees them).
    @discardableResult
    func send(_ frames: [(port: UInt16, bytes: [UInt8])], offload: OffloadInfo = OffloadInfo()) -> [Int: [[UInt8]]] {
        for (port, bytes) in frames {
            let f = bytes.withUnsafeBytes { pool.make(bytes: $0, inPort: port, offload: offload) }!
            batch.append(f)
        }
        pipeline.process(&batch, now: clock.nowNanos)
        return drain()
    }

    func send(port: UInt16, _ bytes: [UInt8]) -> [Int: [[UInt8]]] { send([(port, bytes)]) }

    /// A VXLAN datagram's payload (VXLAN header first) arriving on the VXLAN port from `remote`, as the
    /// port hands it over.
    func receiveOverlay(port: UInt16, from remote: UInt32, _ payload: [UInt8]) -> [Int: [[UInt8]]] {
        let f = payload.withUnsafeBytes { pool.make(bytes: $0, inPort: port) }!
        pool.meta[Int(f)].flags |= FrameMeta.encapsulated
        pool.meta[Int(f)].remote = remote
        batch.append(f)
        pipeline.process(&batch, now: clock.nowNanos)
        return drain()
    }

    func drain() -> [Int: [[UInt8]]] {
        var out: [Int: [[UInt8]]] = [:]
        let q = pipeline.queues
        for p in 0..<q.maxPorts where q.counts[p] > 0 {
            out[p] = (0..<q.counts[p]).map { pool.bytes(q.queue(p)[$0]) }
            for i in 0..<q.counts[p] { pool.free(q.queue(p)[i]) }
            q.counts[p] = 0
        }
        return out
    }

    func drops(_ port: Int) -> [DropReason: UInt64] { pipeline.counters.snapshot(port: port).drops }
    var allFramesFree: Bool { pool.freeSmall == pool.smallCount && pool.freeLarge == pool.largeCount }
}

enum Hosts {
    static let a = MACAddress(2, 0, 0, 0, 0, 0xa)
    static let b = MACAddress(2, 0, 0, 0, 0, 0xb)
    static let c = MACAddress(2, 0, 0, 0, 0, 0xc)
    static func frame(from: MACAddress, to: MACAddress, size: Int = 60) -> [UInt8] {
        PacketBuilder.ethernet(destination: to, source: from, etherType: EtherType.ipv4,
                               payload: [UInt8](repeating: 0x45, count: size - 14))
    }
}
