import CSwivelLinux
import Foundation
import Synchronization
import Logging
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

/// Options of the datapath that are not part of the network model.
public struct DatapathOptions: Sendable {
    public var engine: IOEngine = .default
    public var batchSize = 64
    public var ringBlockTimeoutMs: UInt32 = 1
    public var maxPorts = 256
    /// Connection-tracking capacity (allocated at start) and loose TCP pick-up.
    public var connections = 262_144
    public var looseConntrack = false
    /// The CPU the datapath thread runs on alone (`--datapath-cpu`): every other thread of the process
    /// (the API, metrics, logging) is kept off it, so reading or changing the switch takes no CPU time
    /// from forwarding. Nil: the scheduler decides.
    public var datapathCPU: Int?
    public init() {}
}

/// Builds the datapath from the network model, runs it on its own thread, and answers the control
/// plane's questions with documents copied from the datapath between batches.
public final class SwitchRuntime: Sendable {
    public let mailbox: ControlMailbox
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) let datapath: Datapath
    let logger: Logger
    let startedAt: UInt64
    let options: DatapathOptions
    /// Where the applied desired state is kept across restarts (nil: not kept).
    let store: (any StateStore)?
    /// The model version last written to the store and the store's revision then: applies finish in any
    /// order, and an older state must never overwrite a newer one.
    let persisted = Mutex<(version: Int, revision: Int)>((-1, 0))

    /// Builds the datapath and applies `config` to it. Ports owned by `cli` must open now (a typo must not
    /// start a useless switch); configured ports whose device is missing start `down (no device)` and bind
    /// when it appears.
    public init(config: NetworkConfig, options: DatapathOptions = DatapathOptions(), store: (any StateStore)? = nil,
                storeRevision: Int = 0,
                logger: Logger = Logger(label: "swivel")) throws {
        self.logger = logger
        self.options = options
        self.store = store
        persisted.withLock { $0.revision = storeRevision }
        // One FDB table sized for the configured networks' limits (capped); networks added later share it.
        let limits = config.networks.map { $0.fdb?.maxEntries ?? FDB.defaultLimit } + [FDB.defaultLimit]
        let fdb = FDB(capacity: min(limits.reduce(0, +), 1 << 24))
        let dp = try Datapath(maxPorts: options.maxPorts, batchSize: options.batchSize, fdb: fdb,
                              connections: options.connections, logger: logger)
        dp.pipeline.securityGroups.loose = options.looseConntrack
        let plan = try Self.plan(from: dp.model, to: config, freePortIDs: (0..<UInt16(options.maxPorts)).map { $0 },
                                 options: options, logger: logger)
        Self.install(plan, on: dp, logger: logger)
        datapath = dp
        mailbox = dp.mailbox
        startedAt = dp.clock.nowNanos
    }

    /// Starts the datapath thread.
    public func start() {
        // The datapath moves to its thread here and is touched only there from now on (mailbox aside).
        nonisolated(unsafe) let dp = datapath
        let done = self.done
        let cpu = options.datapathCPU
        let logger = self.logger
        if let cpu { Affinity.keepThreadsOff(cpu: cpu, logger: logger) }
        let thread = Thread {
            // Named for top -H, perf and /proc (Foundation's name does not reach the kernel here).
            _ = vsw_set_thread_name("swivel-datapath")
            if let cpu {
                let rc = vsw_set_thread_affinity(0, Int32(clamping: cpu), 0)
                if rc != 0 { logger.error("datapath: cannot pin to CPU \(cpu): \(String(cString: strerror(-rc)))") }
            }
            dp.run()
            done.signal()
        }
        thread.name = "swivel-datapath"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops the datapath and waits for it to release its ports.
    public func stop() {
        datapath.requestStop()
        done.wait()
    }

    // MARK: documents for the API

    public func ports() async throws -> [PortStateDoc] {
        try await mailbox.send(ReadPorts())
    }

    static func portDocs(_ dp: Datapath) -> [PortStateDoc] {
            dp.ports.compactMap { $0 }.map { p in
                let c = dp.pipeline.counters.snapshot(port: Int(p.id))
                var drops: [String: UInt64] = [:]
                for (r, n) in c.drops { drops[r.name] = n }
                var doc = PortStateDoc(name: p.name, id: Int(p.id), kind: p.kind, device: p.device,
                                       network: dp.networks(ofPort: p.id).joined(separator: "+"), state: p.state, mtu: p.mtu,
                                       rxPackets: c.rxPackets, rxBytes: c.rxBytes, txPackets: c.txPackets,
                                       txBytes: c.txBytes, drops: drops,
                                       kernelDrops: (p as? AFPacketPort)?.kernelDrops ?? 0)
                doc.offloads = p.acceptsOffload ? "on" : "off"
                doc.offloadCounters = OffloadCountersDoc(segmented: c.segmented, segments: c.segments,
                                                         checksumsCompleted: c.checksumsCompleted, passedThrough: c.passedThrough)
                if let m = dp.pipeline.topology.membership[Int(p.id)], m.isTrunk {
                    doc.mode = "trunk"
                    doc.vlans = Dictionary(uniqueKeysWithValues: m.tagged.map { (dp.networkNames[$0.value] ?? "#\($0.value)", Int($0.key)) })
                    doc.native = m.untagged.map { dp.networkNames[$0] ?? "#\($0)" }
                }
                if let policy = dp.pipeline.topology.security.policies[Int(p.id)] {
                    doc.addresses = policy.addresses.map { a in
                        PortAddress(mac: a.mac.description, ips: a.ipv4.map(IPv4Address.format) + a.ipv6.map(\.description))
                    }
                }
                return doc
            }
    }

    /// Non-zero drops by port and reason, with how long ago each last happened.
    public func drops() async throws -> [DropDoc] {
        try await mailbox.send(ReadDrops())
    }

    static func pipelineDoc(_ dp: Datapath) -> CountersDoc.Pipeline {
        let s = dp.pipeline.stats
        var doc = CountersDoc.Pipeline(stages: Pipeline.stageNames, batches: s.batches, packets: s.packets,
                                       largestBatch: s.largestBatch, loopIterations: dp.iterations)
        doc.controlRequests = dp.controlRequests
        doc.controlSeconds = Double(dp.controlNanos) / 1e9
        doc.controlMaxMicroseconds = Double(dp.controlMaxNanos) / 1e3
        return doc
    }

    public func counters() async throws -> CountersDoc {
        let started = startedAt
        return try await mailbox.send(ReadCounters(started: started))
    }

}

/// Keeping the datapath's CPU to the datapath.
enum Affinity {
    /// Moves every thread the process has now off `cpu`; threads created later inherit their creator's
    /// mask, so they stay off it too. (The datapath thread, created afterwards, pins itself to `cpu`.)
    static func keepThreadsOff(cpu: Int, logger: Logger) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let tid = pid_t(task) else { continue }
            let rc = vsw_set_thread_affinity(tid, Int32(clamping: cpu), 1)
            if rc != 0 { logger.warning("cannot keep thread \(tid) off CPU \(cpu): \(String(cString: strerror(-rc)))") }
        }
    }
}

/// Every port's state, counters, drops and settings.
struct ReadPorts: ControlRequest {
    func run(on dp: Datapath) -> [PortStateDoc] {
        SwitchRuntime.portDocs(dp)
    }
}

/// Non-zero drops by port and reason, with how long ago each last happened.
struct ReadDrops: ControlRequest {
    func run(on dp: Datapath) -> [DropDoc] {
        let now = dp.clock.nowNanos
        var out: [DropDoc] = []
        for p in dp.ports.compactMap({ $0 }) {
            let c = dp.pipeline.counters.snapshot(port: Int(p.id))
            for (reason, count) in c.drops.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let last = dp.pipeline.counters.lastDropTime(port: Int(p.id), reason: reason) ?? now
                out.append(DropDoc(port: p.name, reason: reason.name, count: count, lastSeen: Double(now &- last) / 1e9))
            }
        }
        return out
    }
}

/// Ports, pipeline and table counters (uptime counted from `started`).
struct ReadCounters: ControlRequest {
    let started: UInt64
    func run(on dp: Datapath) -> CountersDoc {
        let fdb = dp.pipeline.l2.fdb, flows = dp.pipeline.flows, pool = dp.pool
        var doc = CountersDoc(
            uptime: Double(dp.clock.nowNanos &- started) / 1e9,
            ports: SwitchRuntime.portDocs(dp),
            pipeline: SwitchRuntime.pipelineDoc(dp),
            tables: [.init(name: "fdb", entries: fdb.count, limit: fdb.table.limit),
                     .init(name: "flows", entries: flows.table.count, limit: flows.table.limit),
                     .init(name: "conntrack", entries: dp.pipeline.conntrack.table.count, limit: dp.pipeline.conntrack.table.capacity),
                     .init(name: "pool-small-frames-in-use", entries: pool.smallCount - pool.freeSmall, limit: pool.smallCount),
                     .init(name: "pool-large-frames-in-use", entries: pool.largeCount - pool.freeLarge, limit: pool.largeCount)])
        doc.stageCounters = dp.pipeline.stageCounters().map { c in
            switch c.key {
            case .none: StageCounterDoc(stage: c.stage, name: c.name, value: c.value)
            case .network(let n): StageCounterDoc(stage: c.stage, name: c.name, network: dp.networkNames[n] ?? "#\(n)", value: c.value)
            case .port(let p): StageCounterDoc(stage: c.stage, name: c.name, port: dp.ports[Int(p)]?.name ?? "#\(p)", value: c.value)
            }
        }
        return doc
    }
}

