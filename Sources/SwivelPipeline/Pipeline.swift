import SwivelPacket

/// The whole forwarding pipeline, wired in one place:
///
///     parse -> l2 (learn, lookup) -> flow-record -> output (queue, flood, drop)
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
    public var flows: FlowTable
    @usableFromInline var output: OutputStage
    @usableFromInline let decisions: UnsafeMutablePointer<Decision>
    public let batchCapacity: Int

    public init(pool: FramePool, topology: Topology, batchCapacity: Int = 64, fdb: FDB = FDB(),
                flows: FlowTable = FlowTable(), queueCapacity: Int = 512) {
        self.pool = pool
        self.topology = topology
        self.batchCapacity = batchCapacity
        counters = PortCounters(maxPorts: topology.maxPorts)
        states = PortStates(maxPorts: topology.maxPorts)
        queues = TxQueues(maxPorts: topology.maxPorts, capacity: queueCapacity)
        l2 = L2Stage(fdb: fdb)
        self.flows = flows
        output = OutputStage()
        decisions = .allocate(capacity: batchCapacity)
    }

    /// Runs one batch through every stage. Afterwards the batch is empty: every frame is either in a
    /// port's transmit queue or back in the pool.
    @inlinable
    public mutating func process(_ batch: inout PacketBatch, now: UInt64) {
        precondition(batch.count <= batchCapacity)
        ParseStage.process(batch, pool: pool, decisions: decisions)
        l2.process(batch, pool: pool, topology: topology, decisions: decisions, now: now)
        FlowRecordStage.process(batch, pool: pool, flows: &flows, decisions: decisions, now: now)
        output.process(&batch, pool: pool, topology: topology, states: states, queues: queues,
                       counters: counters, decisions: decisions)
    }

    /// Adopts a new topology between batches. Learned entries of ports that left are flushed.
    public mutating func adopt(_ newTopology: Topology) {
        precondition(newTopology.maxPorts == topology.maxPorts)
        for p in 0..<topology.maxPorts where topology.networkOfPort[p] != newTopology.networkOfPort[p] {
            l2.fdb.flush(port: UInt16(p))
        }
        topology = newTopology
        l2.invalidateCache()
    }

    /// Periodic housekeeping (once a second): ages the FDB and the flow table.
    public mutating func tick(now: UInt64) {
        l2.fdb.sweep(now: now)
        flows.sweep(now: now)
    }
}
