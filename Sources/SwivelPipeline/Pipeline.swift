import SwivelPacket
import SwivelCore

/// The whole forwarding pipeline, wired in one place:
///
///     parse -> vxlan-decap (frames from the overlay: VNI -> network, inner frame parsed)
///           -> vlan (network, pop tag) -> port-security -> acl (egress rules of the sending port)
///           -> network-count (packets and bytes per network) -> l2 (learn, lookup) -> l3 (route, ARP, ICMP) -> flow-record
///           -> output (acl: ingress rules of each receiving port; push tag, queue, flood, drop;
///                      vxlan-encap: outer headers per remote VTEP for the VXLAN port)
///
/// Frames the l3 stage makes or releases (ARP, ICMP, packets that waited for ARP) go through output
/// after the batch.
///
/// A stage takes the batch and writes one `Decision` per slot; later stages skip decided drops.
/// Adding a stage (VLAN classification, ACL, L3) means adding a call here between the ones it sits between.
public struct Pipeline {
    public let pool: FramePool
    public let counters: PortCounters
    public let states: PortStates
    public let queues: TxQueues
    public private(set) var topology: Topology
    public var l2: L2Stage
    public var l3 = L3Stage()
    /// Security groups: rules, hit counters and the decision, asked by the acl stage (egress rules) and by
    /// output on each delivery to a guarded port (ingress rules).
    public var securityGroups: SecurityGroups
    /// Connection tracking, one service for every stage that tracks connections (acl today; NAT and the
    /// load balancer in router zones next), lent to them in stage order.
    public var conntrack: ConnTracker
    /// Routers' interfaces and tables (immutable; replaced with `adopt(routing:)`).
    public private(set) var routing: Routing = .empty
    public var flows: FlowTable
    public var networkCounter = NetworkCounterStage()
    /// Records of traced frames (FrameMeta.traced), written by every stage.
    public let trace: TraceBuffer
    @usableFromInline var output: OutputStage
    @usableFromInline let decisions: UnsafeMutablePointer<Decision>
    public let batchCapacity: Int
    /// Batches and packets through the pipeline (every stage sees every batch, so one pair serves all
    /// stages; packets/batches is the vector size that tells whether batching works, as VPP's show run).
    public var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var batches: UInt64 = 0
        public var packets: UInt64 = 0
        public var largestBatch: Int = 0
    }

    /// The stages in the order `process` runs them, for counters and traces.
    public static let stageNames = ["parse", "vlan", "port-security", "l2", "l3", "flow-record", "output", "acl",
                                    "vxlan-decap", "vxlan-encap", "network-count"]

    public init(pool: FramePool, topology: Topology, batchCapacity: Int = 64, fdb: FDB = FDB(),
                flows: FlowTable = FlowTable(), queueCapacity: Int = 512, connections: Int = 4096) {
        self.pool = pool
        self.topology = topology
        self.batchCapacity = batchCapacity
        counters = PortCounters(maxPorts: topology.maxPorts)
        states = PortStates(maxPorts: topology.maxPorts)
        queues = TxQueues(maxPorts: topology.maxPorts, capacity: queueCapacity)
        l2 = L2Stage(fdb: fdb)
        self.flows = flows
        let trace = TraceBuffer()
        self.trace = trace
        output = OutputStage(trace: trace)
        securityGroups = SecurityGroups(maxPorts: topology.maxPorts, trace: trace)
        conntrack = ConnTracker(capacity: connections)
        decisions = .allocate(capacity: batchCapacity)
    }

    /// Runs one batch through every stage. Afterwards the batch is empty: every frame is either in a
    /// port's transmit queue or back in the pool.
    @inlinable
    public mutating func process(_ batch: inout PacketBatch, now: UInt64) {
        precondition(batch.count <= batchCapacity)
        stats.batches &+= 1
        stats.packets &+= UInt64(batch.count)
        if batch.count > stats.largestBatch { stats.largestBatch = batch.count }
        counters.now = now
        ParseStage.process(batch, pool: pool, decisions: decisions, trace: trace)
        // A switch that is no VTEP skips the stage, not just each frame.
        if topology.overlayPort >= 0 {
            VxlanDecapStage.process(batch, pool: pool, overlay: topology.overlay, decisions: decisions, trace: trace)
        }
        VlanStage.process(batch, pool: pool, topology: topology, decisions: decisions, trace: trace)
        PortSecurityStage.process(batch, pool: pool, topology: topology, decisions: decisions, trace: trace)
        ACLStage.process(batch, pool: pool, decisions: decisions, security: &securityGroups, conntrack: &conntrack, now: now)
        networkCounter.process(batch, pool: pool, decisions: decisions)
        l2.process(batch, pool: pool, routing: routing, decisions: decisions, now: now, trace: trace, overlay: topology.overlay)
        l3.process(batch, pool: pool, routing: routing, fdb: l2.fdb, decisions: decisions, counters: counters, now: now, trace: trace)
        FlowRecordStage.process(batch, pool: pool, flows: &flows, decisions: decisions, now: now, trace: trace)
        output.process(&batch, pool: pool, topology: topology, states: states, queues: queues,
                       counters: counters, decisions: decisions, security: &securityGroups, conntrack: &conntrack)
        if l3.generated.count > 0 { sendGenerated() }
    }

    @inlinable
    mutating func sendGenerated() {
        let generatedDecisions = l3.generatedDecisions
        output.process(&l3.generated, pool: pool, topology: topology, states: states, queues: queues,
                       counters: counters, decisions: generatedDecisions, security: &securityGroups, conntrack: &conntrack)
    }

    /// Runs one frame through the same stages without effects (no learning, no flow record, nothing
    /// queued, no counters) and returns every stage's record: `swivelctl trace` of a described packet.
    public mutating func explain(_ frame: FrameIndex, now: UInt64) -> [TraceRecord] {
        _ = trace.take()
        pool.meta[Int(frame)].flags |= FrameMeta.traced
        pool.meta[Int(frame)].traceID = 1
        var one = PacketBatch(capacity: 1)
        defer { one.deallocate() }
        one.append(frame)
        ParseStage.process(one, pool: pool, decisions: decisions, trace: trace)
        VxlanDecapStage.process(one, pool: pool, overlay: topology.overlay, decisions: decisions, trace: trace)
        VlanStage.process(one, pool: pool, topology: topology, decisions: decisions, trace: trace)
        PortSecurityStage.process(one, pool: pool, topology: topology, decisions: decisions, trace: trace)
        ACLStage.process(one, pool: pool, decisions: decisions, security: &securityGroups, conntrack: &conntrack, now: now,
                         dryRun: true)
        l2.process(one, pool: pool, routing: routing, decisions: decisions, now: now, trace: trace, overlay: topology.overlay, dryRun: true)
        l3.process(one, pool: pool, routing: routing, fdb: l2.fdb, decisions: decisions, counters: counters, now: now,
                   trace: trace, dryRun: true)
        output.process(&one, pool: pool, topology: topology, states: states, queues: queues,
                       counters: counters, decisions: decisions, security: &securityGroups, conntrack: &conntrack, dryRun: true)
        return trace.take()
    }

    /// Every stage's own counters (drops aside): what `swivelctl stats` lists under "stage counters". A
    /// stage with counters adds itself here.
    public func stageCounters() -> [StageCounter] {
        var rows: [StageCounter] = []
        l3.reportCounters(into: &rows)
        networkCounter.reportCounters(into: &rows)
        return rows
    }

    /// Adopts a new topology between batches. Learned entries of ports that left or changed networks are flushed.
    public mutating func adopt(_ newTopology: Topology) {
        precondition(newTopology.maxPorts == topology.maxPorts)
        for p in 0..<topology.maxPorts where topology.membership[p] != newTopology.membership[p]
            || topology.security.policies[p] != newTopology.security.policies[p] {
            if p == newTopology.overlayPort && p == topology.overlayPort, let old = topology.membership[p] {
                // The VXLAN port gained or lost networks: what it knows of the others (static remote
                // entries a control plane programmed among them) stays.
                let kept = Set(newTopology.membership[p]?.overlay ?? [])
                for n in old.overlay where !kept.contains(n) { l2.fdb.forget(port: UInt16(p), network: n) }
            } else {
                l2.fdb.forget(port: UInt16(p))
            }
        }
        // What was learned behind VTEPs follows the VTEP settings (learning off, VTEPs removed).
        if let port = newTopology.overlay.port, topology.overlay !== newTopology.overlay {
            l2.fdb.flush(port: port)
        }
        topology = newTopology
        l2.invalidateCache()
    }

    /// Adopts new routers and routes between batches. A route change keeps the neighbours; when the
    /// interfaces themselves change (their indices key the neighbour table) the neighbours are forgotten
    /// and learned again within one ARP exchange.
    public mutating func adopt(routing newRouting: Routing) {
        if newRouting.interfaces != routing.interfaces { l3.flushNeighbors(pool: pool, counters: counters) }
        routing = newRouting
    }

    /// Adopts new security groups between batches.
    public mutating func adopt(security: SecurityTable) {
        precondition(security.maxPorts == topology.maxPorts)
        securityGroups.adopt(security, conntrack: &conntrack)
    }

    /// Periodic housekeeping (once a second): ages the FDB, the flow table, tracked connections and the
    /// neighbours; retries
    /// ARP (what that sends goes out now).
    public mutating func tick(now: UInt64) {
        l2.fdb.sweep(now: now)
        flows.sweep(now: now)
        conntrack.tick(now: now)
        counters.now = now
        l3.tick(now: now, pool: pool, routing: routing, counters: counters)
        if l3.generated.count > 0 { sendGenerated() }
    }
}
