// API documents of ports and their counters: `GET /v1/state/ports`, `/v1/state/counters`, `/v1/state/drops`.

/// Documents of the read-only state API (`GET /v1/state/…`), shared by swiveld and swivelctl.
public struct PortStateDoc: Codable, Equatable, Sendable {
    public var name: String
    public var id: Int
    public var kind: String
    public var device: String
    /// The access network; for a trunk, its networks joined by '+'.
    public var network: String
    /// "access" or "trunk".
    public var mode: String = "access"
    /// A trunk's tagged networks and their VLAN IDs.
    public var vlans: [String: Int]?
    /// A trunk's untagged network.
    public var native: String?
    /// Port security: the MACs (with their IPs) the port may send from.
    public var addresses: [PortAddress]?
    public var state: String
    public var mtu: Int
    /// "on" (frames leave with their offload metadata) or "off" (completed and segmented first).
    public var offloads: String = "on"
    /// What the output stage did with offloaded frames bound for this port.
    public var offloadCounters: OffloadCountersDoc = OffloadCountersDoc()
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    /// Non-zero drops by reason name.
    public var drops: [String: UInt64]
    public var kernelDrops: UInt64

    public init(name: String, id: Int, kind: String, device: String, network: String, state: String, mtu: Int,
                rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64, drops: [String: UInt64],
                kernelDrops: UInt64) {
        self.name = name; self.id = id; self.kind = kind; self.device = device; self.network = network
        self.state = state; self.mtu = mtu; self.rxPackets = rxPackets; self.rxBytes = rxBytes
        self.txPackets = txPackets; self.txBytes = txBytes; self.drops = drops; self.kernelDrops = kernelDrops
    }

    enum CodingKeys: String, CodingKey {
        case name, id, kind, device, network, mode, vlans, native, addresses, state, mtu, drops, offloads
        case offloadCounters = "offload_counters"
        case rxPackets = "rx_packets", rxBytes = "rx_bytes", txPackets = "tx_packets", txBytes = "tx_bytes"
        case kernelDrops = "kernel_drops"
    }
}

public struct OffloadCountersDoc: Codable, Equatable, Sendable {
    public var segmented: UInt64 = 0
    public var segments: UInt64 = 0
    public var checksumsCompleted: UInt64 = 0
    public var passedThrough: UInt64 = 0
    public init(segmented: UInt64 = 0, segments: UInt64 = 0, checksumsCompleted: UInt64 = 0, passedThrough: UInt64 = 0) {
        self.segmented = segmented; self.segments = segments; self.checksumsCompleted = checksumsCompleted
        self.passedThrough = passedThrough
    }
    enum CodingKeys: String, CodingKey {
        case segmented, segments
        case checksumsCompleted = "checksums_completed", passedThrough = "passed_through"
    }
}

public struct DropDoc: Codable, Equatable, Sendable {
    public var port: String
    public var reason: String
    public var count: UInt64
    /// Seconds since the last frame was dropped for this reason on this port.
    public var lastSeen: Double
    public init(port: String, reason: String, count: UInt64, lastSeen: Double) {
        self.port = port; self.reason = reason; self.count = count; self.lastSeen = lastSeen
    }
    enum CodingKeys: String, CodingKey { case port, reason, count; case lastSeen = "last_seen" }
}

/// Everything `swivelctl stats` shows: per-port counters, the pipeline's batches, table fill and the pool.
public struct CountersDoc: Codable, Equatable, Sendable {
    public struct Pipeline: Codable, Equatable, Sendable {
        public var stages: [String]
        public var batches: UInt64
        public var packets: UInt64
        public var largestBatch: Int
        public var loopIterations: UInt64
        /// Control requests the datapath ran between batches, the time they took in all, and the longest
        /// single stretch (how long reading or changing the switch held forwarding up, at most).
        public var controlRequests: UInt64?
        public var controlSeconds: Double?
        public var controlMaxMicroseconds: Double?
        public init(stages: [String], batches: UInt64, packets: UInt64, largestBatch: Int, loopIterations: UInt64) {
            self.stages = stages; self.batches = batches; self.packets = packets
            self.largestBatch = largestBatch; self.loopIterations = loopIterations
        }
        enum CodingKeys: String, CodingKey {
            case stages, batches, packets; case largestBatch = "largest_batch", loopIterations = "loop_iterations"
            case controlRequests = "control_requests", controlSeconds = "control_seconds"
            case controlMaxMicroseconds = "control_max_us"
        }
    }
    public struct Table: Codable, Equatable, Sendable {
        public var name: String
        public var entries: Int
        public var limit: Int
        public init(name: String, entries: Int, limit: Int) { self.name = name; self.entries = entries; self.limit = limit }
    }
    public var uptime: Double
    public var ports: [PortStateDoc]
    public var pipeline: Pipeline
    public var tables: [Table]
    /// Stages' own counters (`Pipeline.stageCounters`), per network or port where they are kept so.
    public var stageCounters: [StageCounterDoc]?
    public init(uptime: Double, ports: [PortStateDoc], pipeline: Pipeline, tables: [Table]) {
        self.uptime = uptime; self.ports = ports; self.pipeline = pipeline; self.tables = tables
    }
    enum CodingKeys: String, CodingKey {
        case uptime, ports, pipeline, tables
        case stageCounters = "stage_counters"
    }
}

/// One counter of one stage; `network` or `port` names what it is kept per, when it is.
public struct StageCounterDoc: Codable, Equatable, Sendable {
    public var stage: String
    public var name: String
    public var network: String?
    public var port: String?
    public var value: UInt64
    public init(stage: String, name: String, network: String? = nil, port: String? = nil, value: UInt64) {
        self.stage = stage; self.name = name; self.network = network; self.port = port; self.value = value
    }
}
