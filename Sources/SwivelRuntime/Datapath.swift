import Glibc
import Logging
import Synchronization
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCompiler
import SwivelControl
import SwivelCore

/// Everything one datapath thread owns: the frame pool, the pipeline and its tables, the ring and the
/// ports. Confined to that thread once `run()` starts; the control plane reaches it only through the
/// mailbox.
public final class Datapath {
    public let pool: FramePool
    public var pipeline: Pipeline
    public let ring: Ring
    public let clock: DatapathClock
    public let mailbox: ControlMailbox
    public private(set) var ports: [(any Port)?]
    /// The ports that exist, in id order: what the loop walks (never the 256 mostly empty slots).
    var activePorts: [any Port] = []
    /// Network names by id, for the control plane's documents.
    public var networkNames: [UInt16: String] = [:]
    /// Removed ports whose requests are still in the ring; their completions still go to them.
    var retiring: [any Port] = []
    /// The desired state the datapath runs and the ids given to its names (datapath thread only).
    public var model: AppliedModel
    let batchSize: Int
    var batch: PacketBatch
    let running = Atomic<Bool>(true)
    let wakeBuffer: UnsafeMutablePointer<UInt64> = .allocate(capacity: 1)
    var lastTick: UInt64 = 0
    var movesLogged: UInt64 = 0
    let logger: Logger
    public private(set) var iterations: UInt64 = 0
    /// Time the loop spent running control requests between batches: how much reading and changing the
    /// switch costs forwarding (all of it, and the longest single stretch since start).
    public private(set) var controlNanos: UInt64 = 0
    public private(set) var controlRequests: UInt64 = 0
    public private(set) var controlMaxNanos: UInt64 = 0
    /// Observers, checked once per batch; empty almost always.
    var traceSession: TraceSession?
    var captures: [CaptureSession] = []

    public init(maxPorts: Int = 256, batchSize: Int = 64, pool: FramePool = FramePool(), clock: DatapathClock = MonotonicClock(),
                fdb: FDB = FDB(), connections: Int = 65_536, logger: Logger = Logger(label: "swivel.datapath")) throws(PortError) {
        self.pool = pool
        self.batchSize = batchSize
        self.clock = clock
        self.logger = logger
        ring = try Ring()
        mailbox = ControlMailbox()
        pipeline = Pipeline(pool: pool, topology: Topology(maxPorts: maxPorts, networkOfPort: [:]), batchCapacity: batchSize, fdb: fdb,
                            connections: connections)
        ports = Array(repeating: nil, count: maxPorts)
        model = AppliedModel(maxPorts: maxPorts)
        batch = PacketBatch(capacity: batchSize)
    }

    /// Takes a newly opened port (between batches); its networks and settings come with the install of
    /// the plan that opened it, and it starts after that (`start`).
    func attach(_ port: any Port) {
        ports[Int(port.id)] = port
        activePorts = ports.compactMap { $0 }
    }

    func start(_ port: any Port) {
        port.start(ring: ring)
        refreshState(of: port)
    }

    /// Releases a port's device (its tables are reset by the install that removes it). A port with requests
    /// still in the ring (a TAP's reads) keeps its id until their completions have come back.
    func detach(port id: UInt16) {
        guard let port = ports[Int(id)] else { return }
        port.stop(ring: ring, pool: pool)
        ports[Int(id)] = nil
        activePorts = ports.compactMap { $0 }
        if port.requestsInFlight > 0 { retiring.append(port) }
    }

    /// Whether a port id can be given to a new port.
    public func isFree(portID id: UInt16) -> Bool {
        Int(id) < ports.count && ports[Int(id)] == nil && !retiring.contains { $0.id == id }
    }

    /// Names of the networks a port carries: the untagged one first, then the tagged ones by VLAN ID.
    public func networks(ofPort id: UInt16) -> [String] {
        guard let m = pipeline.topology.membership[Int(id)] else { return [] }
        var ids = m.untagged.map { [$0] } ?? []
        for (_, n) in m.tagged.sorted(by: { $0.key < $1.key }) where !ids.contains(n) { ids.append(n) }
        for n in m.overlay where !ids.contains(n) { ids.append(n) }
        return ids.map { networkNames[$0] ?? "#\($0)" }
    }

    func refreshState(of port: any Port) {
        pipeline.states.isUp[Int(port.id)] = port.isUp
        pipeline.states.acceptsOffload[Int(port.id)] = port.acceptsOffload
        pipeline.states.mtu[Int(port.id)] = port.mtu
    }

    public func requestStop() {
        running.store(false, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(mailbox.eventFD, &one, 8)
    }

    /// The loop: receive a batch from each ready port and run it through the pipeline, flush the transmit
    /// queues, then one io_uring_enter — blocking (up to the next housekeeping tick) only when no port has
    /// work, so an idle switch sleeps.
    public func run() {
        armWake()
        lastTick = clock.nowNanos
        while running.load(ordering: .relaxed) {
            iterations &+= 1
            if mailbox.hasRequests {
                let started = clock.nowNanos
                let requests = mailbox.takeAll()
                for r in requests { r.deliver(to: self) }
                let spent = clock.nowNanos &- started
                controlNanos &+= spent
                controlRequests &+= UInt64(requests.count)
                if spent > controlMaxNanos { controlMaxNanos = spent }
            }
            let now = clock.nowNanos
            pipeline.counters.now = now
            var busy = false
            for port in activePorts where port.hasReceivable {
                port.receive(into: &batch, pool: pool, counters: pipeline.counters, ring: ring)
                if batch.count > 0 {
                    if traceSession != nil { markTraced(&batch, port: port.id) }
                    if !captures.isEmpty { observe(batch.frames, count: batch.count, port: port.id, received: true) }
                    pipeline.process(&batch, now: now)
                    if pipeline.trace.count > 0 { harvestTrace() }
                    busy = true
                }
                if port.hasReceivable { busy = true }
                flushQueues(onlyIfAbove: pipeline.queues.capacity - batchSize)
            }
            flushQueues(onlyIfAbove: 0)
            if now &- lastTick >= 1_000_000_000 {
                tick(now: now)
                flushQueues(onlyIfAbove: 0)   // what housekeeping sent (ARP retries, ICMP) leaves now
            }
            ring.submit(waitNanos: busy ? 0 : max(1, 1_000_000_000 - min(1_000_000_000, clock.nowNanos &- lastTick)))
            ring.drainCompletions { c in handle(c) }
        }
        shutdown()
    }

    @inline(__always)
    func flushQueues(onlyIfAbove threshold: Int) {
        let q = pipeline.queues
        for port in activePorts {
            let id = Int(port.id)
            let n = q.counts[id]
            if n > threshold {
                if !captures.isEmpty { observe(q.queue(id), count: n, port: port.id, received: false) }
                port.transmit(q.queue(id), count: n, pool: pool, counters: pipeline.counters, ring: ring)
                q.counts[id] = 0
            }
        }
    }

    func handle(_ c: Completion) {
        if c.tag == Completion.Tag.wake.rawValue {
            armWake()
            return
        }
        guard c.tag != 0, Int(c.port) < ports.count else { return }
        if let port = ports[Int(c.port)] {
            port.complete(c, ring: ring, pool: pool, counters: pipeline.counters)
        } else if let index = retiring.firstIndex(where: { $0.id == c.port }) {
            retiring[index].complete(c, ring: ring, pool: pool, counters: pipeline.counters)
            if retiring[index].requestsInFlight == 0 { retiring.remove(at: index) }
        }
    }

    func armWake() {
        ring.read(fd: mailbox.eventFD, into: wakeBuffer, count: 8, userData: Completion.encode(.wake, port: 0, slot: 0))
    }

    func tick(now: UInt64) {
        lastTick = now
        pipeline.tick(now: now)
        // MAC moves are counted in the fast path and reported here, at most once a second, so a flapping
        // or spoofed MAC cannot flood the log.
        let moves = pipeline.l2.fdb.stats.moved
        if moves != movesLogged {
            logger.notice("\(moves &- movesLogged) MAC move(s) between ports in the last second (\(moves) in total; see swivelctl fdb stats)")
            movesLogged = moves
        }
        for port in activePorts {
            let wasUp = port.isUp
            port.maintain(ring: ring)
            refreshState(of: port)
            if wasUp != port.isUp {
                logger.info("port \(port.name) (\(port.device)): \(port.state)")
                if !port.isUp { pipeline.l2.fdb.flush(port: port.id) }
            }
        }
    }

    func shutdown() {
        for r in mailbox.close() { r.deliver(to: self) }
        for port in activePorts { port.stop(ring: ring, pool: pool) }
        activePorts += retiring
        // Wait (briefly) for the cancelled requests, so the devices are released when we return.
        let deadline = clock.nowNanos + 2_000_000_000
        repeat {
            ring.submit(waitNanos: 10_000_000)
            ring.drainCompletions { c in handle(c) }
        } while activePorts.contains(where: { $0.requestsInFlight > 0 }) && clock.nowNanos < deadline
        batch.deallocate()
        wakeBuffer.deallocate()
    }
}
