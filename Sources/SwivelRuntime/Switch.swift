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
        dp.pipeline.acl.loose = options.looseConntrack
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
        try await mailbox.perform { dp in Self.portDocs(dp) }
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
        try await mailbox.perform { dp in
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
        return try await mailbox.perform { dp in
            let fdb = dp.pipeline.l2.fdb, flows = dp.pipeline.flows, pool = dp.pool
            return CountersDoc(
                uptime: Double(dp.clock.nowNanos &- started) / 1e9,
                ports: Self.portDocs(dp),
                pipeline: Self.pipelineDoc(dp),
                tables: [.init(name: "fdb", entries: fdb.count, limit: fdb.table.limit),
                         .init(name: "flows", entries: flows.table.count, limit: flows.table.limit),
                         .init(name: "conntrack", entries: dp.pipeline.conntrack.table.count, limit: dp.pipeline.conntrack.table.capacity),
                         .init(name: "pool-small-frames-in-use", entries: pool.smallCount - pool.freeSmall, limit: pool.smallCount),
                         .init(name: "pool-large-frames-in-use", entries: pool.largeCount - pool.freeLarge, limit: pool.largeCount)])
        }
    }

    public func fdb() async throws -> FDBDoc {
        try await mailbox.perform { dp in
            let now = dp.clock.nowNanos
            let fdb = dp.pipeline.l2.fdb
            let rows = fdb.rows(now: now).map { r in
                FDBEntryDoc(port: dp.ports[Int(r.port)]?.name ?? "#\(r.port)", network: dp.networkNames[r.network] ?? "#\(r.network)",
                            vlan: 0, mac: r.mac.description, type: r.isStatic ? "static" : "learned", age: Int(r.ageSeconds),
                            remote: r.remote == 0 ? nil : IPv4Address.format(r.remote))
            }
            let s = fdb.stats
            let networks = dp.networkNames.sorted { $0.key < $1.key }.map { id, name in
                FDBNetworkDoc(network: name, entries: fdb.count(network: id), limit: fdb.limit(network: id),
                              agingSeconds: fdb.agingSeconds(network: id))
            }
            var stats = FDBStatsDoc(current: fdb.count, limit: fdb.table.limit, learned: s.learned,
                                    moved: s.moved, expired: s.expired, limitHits: s.limitHits)
            stats.staticEntries = fdb.staticCount
            stats.portLimitHits = s.portLimitHits
            stats.flushed = s.flushed
            stats.staticMovesRefused = s.staticMoveRefused
            stats.networks = networks
            return FDBDoc(entries: rows, stats: stats)
        }
    }

    /// Adds a static entry: `mac` pinned to `port` in `network`.
    public func addStaticFDB(_ r: FDBEntryRequest) async throws -> FDBEntryRequest {
        let mac = try RequestError.unicastMAC(r.mac)
        var parsed: UInt32 = 0
        if let text = r.remote {
            guard let ip = IPv4Address.parse(text), ip != 0, ip >> 28 != 0xE else {
                throw RequestError(.invalidRemote, "'\(text)' is not a unicast IPv4 address of a VTEP")
            }
            guard r.port == nil || r.port == OverlaySpec.portName else {
                throw RequestError(.invalidRemote, "a remote entry lives on the VXLAN port; leave out port '\(r.port!)'")
            }
            parsed = ip
        }
        let remote = parsed
        try await mailbox.perform { dp in
            let port = try dp.requirePort(remote != 0 ? OverlaySpec.portName : r.port ?? "")
            let network = try dp.requireNetwork(r.network)
            guard dp.networks(ofPort: port.id).contains(r.network) else {
                throw RequestError(.invalidPort, remote != 0 ? "network '\(r.network)' has no vni: it is not on the overlay"
                                                               : "port '\(port.name)' is not in network '\(r.network)'")
            }
            dp.pipeline.l2.invalidateCache()
            guard dp.pipeline.l2.fdb.addStatic(network: network, mac: mac, port: port.id, remote: remote) else {
                throw RequestError(.tableFull, "the FDB is full")
            }
        }
        return r
    }

    /// Removes an entry (static or learned).
    public func removeFDB(_ r: FDBEntryRequest) async throws -> [String: Int] {
        let mac = try RequestError.unicastMAC(r.mac)
        try await mailbox.perform { dp in
            let network = try dp.requireNetwork(r.network)
            dp.pipeline.l2.invalidateCache()
            guard dp.pipeline.l2.fdb.remove(network: network, mac: mac) else {
                throw RequestError(.unknownEntry, "no entry for \(mac) in network '\(r.network)'")
            }
        }
        return ["removed": 1]
    }

    /// The flow table, at most `limit` flows after the slot `after`, read in bounded slices like
    /// `conntrack` (sorted within the page; `next` continues).
    public func flows(limit: Int = SwitchRuntime.pageLimit, after: Int = -1) async throws -> FlowsDoc {
        var flows: [FlowDoc] = []
        var cursor: Int? = after + 1
        var stats: FlowStatsDoc?
        while let start = cursor, flows.count < limit {
            let wanted = limit - flows.count
            // Copies of the rows on the datapath thread; the documents and their strings are made off it.
            let (rows, next, s, names): ([(FlowKey, FlowRecord)], Int?, FlowStatsDoc, FlowNames) = try await mailbox.perform { dp in
                var rows: [(FlowKey, FlowRecord)] = []
                rows.reserveCapacity(min(wanted, Self.sliceSlots))
                let next = dp.pipeline.flows.table.forEach(from: start, slots: Self.sliceSlots) { _, key, record in
                    rows.append((key, record))
                    return rows.count < wanted
                }
                return (rows, next, Self.flowStats(dp), FlowNames(now: dp.clock.nowNanos, ports: Self.portNames(dp), networks: dp.networkNames))
            }
            let page = Self.flowDocs(rows, names)
            flows += page
            cursor = next
            stats = s
        }
        if stats == nil { stats = try await mailbox.perform { dp in Self.flowStats(dp) } }
        return FlowsDoc(flows: flows.sorted { ($0.inPort, $0.ethSrc, $0.ethDst) < ($1.inPort, $1.ethSrc, $1.ethDst) },
                        stats: stats!, next: cursor)
    }

    static func flowStats(_ dp: Datapath) -> FlowStatsDoc {
        let table = dp.pipeline.flows, s = table.stats
        return FlowStatsDoc(entries: table.table.count, limit: table.table.limit, created: s.created, hits: s.hits,
                            expired: s.expired, notRecorded: s.notRecorded, invalidations: s.changed + s.flushed)
    }

    /// What flow documents need besides the rows, taken on the datapath thread with them.
    struct FlowNames: Sendable {
        var now: UInt64
        var ports: [String?]
        var networks: [UInt16: String]
    }

    static func flowDocs(_ rows: [(FlowKey, FlowRecord)], _ names: FlowNames) -> [FlowDoc] {
        let now = names.now
        func portName(_ p: UInt16) -> String { (Int(p) < names.ports.count ? names.ports[Int(p)] : nil) ?? "#\(p)" }
        return rows.map { key, r -> FlowDoc in
            let action: String
            switch r.decision.action {
            case .output: action = "output:\(portName(r.decision.port))" + (r.decision.remote == 0 ? "" : "->\(IPv4Address.format(r.decision.remote))")
            case .flood: action = "flood"
            case .drop: action = "drop:\(DropReason(rawValue: r.decision.reason)?.name ?? "?")"
            case .route: action = "route"
            case .consumed: action = "consumed"
            }
            return FlowDoc(inPort: portName(key.inPort), network: names.networks[key.network] ?? "#\(key.network)",
                           ethSrc: key.source.description, ethDst: key.destination.description, actions: action,
                           packets: r.packets, bytes: r.bytes, ageSeconds: Double(now &- r.firstSeen) / 1e9,
                           idleSeconds: Double(now &- r.lastSeen) / 1e9, thread: 0,
                           remote: r.remote == 0 ? nil : IPv4Address.format(r.remote))
        }
    }

    /// Removes learned entries, all or only those of one network and/or one port.
    public func flushFDB(network: String? = nil, port: String? = nil) async throws -> Int {
        try await mailbox.perform { dp in
            let networkID = try network.map { try dp.requireNetwork($0) }
            let portID = try port.map { try dp.requirePort($0).id }
            dp.pipeline.l2.invalidateCache()
            return dp.pipeline.l2.fdb.flush(network: networkID, port: portID)
        }
    }

    public func flushFlows() async throws -> Int {
        try await mailbox.perform { dp in dp.pipeline.flows.flush() }
    }
}

extension SwitchRuntime {
    /// The overlay as the datapath runs it: settings, the VXLAN port's state and inner MTU, VNIs and remote
    /// VTEPs per network, and the remote MACs the FDB holds per network and per VTEP.
    public func overlay() async throws -> OverlayStateDoc {
        try await mailbox.perform { dp in
            guard let spec = dp.model.desired.overlay, let id = dp.model.overlayPortID else { return OverlayStateDoc(configured: false) }
            let table = dp.pipeline.topology.overlay
            let rows = dp.pipeline.l2.fdb.rows(now: dp.clock.nowNanos).filter { $0.port == id }
            var perVTEP: [UInt32: (macs: Int, statics: Int)] = [:]
            for r in rows {
                var c = perVTEP[r.remote] ?? (0, 0)
                c.macs += 1
                if r.isStatic { c.statics += 1 }
                perVTEP[r.remote] = c
            }
            var doc = OverlayStateDoc(
                configured: true,
                networks: table.networks.sorted().map { n in
                    .init(network: dp.networkNames[n] ?? "#\(n)", vni: Int(table.vni(network: n)),
                          remoteVteps: table.remotes(network: n).map(IPv4Address.format), remoteMacs: rows.filter { $0.network == n }.count)
                },
                vteps: perVTEP.sorted { $0.key < $1.key }.map { .init(vtep: IPv4Address.format($0.key), macs: $0.value.macs, staticMacs: $0.value.statics) })
            doc.localIP = spec.localIP
            doc.udpPort = Int(table.udpPort)
            doc.device = spec.device
            doc.state = dp.ports[Int(id)]?.state
            doc.innerMTU = dp.ports[Int(id)]?.mtu
            doc.learn = table.learn
            doc.ttl = Int(table.ttl)
            doc.df = table.dontFragment
            return doc
        }
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
