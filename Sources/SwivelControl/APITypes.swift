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

public struct FDBEntryDoc: Codable, Equatable, Sendable {
    public var port: String
    public var network: String
    public var vlan: Int
    public var mac: String
    public var type: String      // learned | static
    public var age: Int          // seconds since last seen
    /// Behind the VXLAN port: the remote VTEP the MAC lives behind.
    public var remote: String?

    public init(port: String, network: String, vlan: Int, mac: String, type: String, age: Int, remote: String? = nil) {
        self.port = port; self.network = network; self.vlan = vlan; self.mac = mac; self.type = type; self.age = age
        self.remote = remote
    }
}

public struct FDBDoc: Codable, Equatable, Sendable {
    public var entries: [FDBEntryDoc]
    public var stats: FDBStatsDoc
    public init(entries: [FDBEntryDoc], stats: FDBStatsDoc) { self.entries = entries; self.stats = stats }
}

public struct FDBStatsDoc: Codable, Equatable, Sendable {
    public var current: Int
    public var limit: Int
    public var learned: UInt64
    public var moved: UInt64
    public var expired: UInt64
    public var limitHits: UInt64
    public var staticEntries: Int = 0
    public var portLimitHits: UInt64 = 0
    public var flushed: UInt64 = 0
    public var staticMovesRefused: UInt64 = 0
    public var networks: [FDBNetworkDoc] = []
    public init(current: Int, limit: Int, learned: UInt64, moved: UInt64, expired: UInt64, limitHits: UInt64) {
        self.current = current; self.limit = limit; self.learned = learned; self.moved = moved
        self.expired = expired; self.limitHits = limitHits
    }
    enum CodingKeys: String, CodingKey {
        case current, limit, learned, moved, expired, flushed, networks
        case limitHits = "limit_hits", staticEntries = "static", portLimitHits = "port_limit_hits"
        case staticMovesRefused = "static_moves_refused"
    }
}

public struct FDBNetworkDoc: Codable, Equatable, Sendable {
    public var network: String
    public var entries: Int
    public var limit: Int
    public var agingSeconds: Int
    public init(network: String, entries: Int, limit: Int, agingSeconds: Int) {
        self.network = network; self.entries = entries; self.limit = limit; self.agingSeconds = agingSeconds
    }
    enum CodingKeys: String, CodingKey { case network, entries, limit; case agingSeconds = "aging_seconds" }
}

/// `POST /v1/actions/fdb-add` (network, port or remote, mac), `fdb-del` (network, mac), `fdb-flush` (network?, port?).
/// `remote` (a VTEP's IPv4 address) pins the MAC behind that VTEP on the VXLAN port.
public struct FDBEntryRequest: Codable, Equatable, Sendable {
    public var network: String
    public var port: String?
    public var mac: String
    public var remote: String?
    public init(network: String, port: String? = nil, mac: String, remote: String? = nil) {
        self.network = network; self.port = port; self.mac = mac; self.remote = remote
    }
}

public struct FDBFlushRequest: Codable, Equatable, Sendable {
    public var network: String?
    public var port: String?
    public init(network: String? = nil, port: String? = nil) { self.network = network; self.port = port }
}

public struct FlowDoc: Codable, Equatable, Sendable {
    public var inPort: String
    public var network: String
    public var ethSrc: String
    public var ethDst: String
    /// e.g. "output:p2", "output:vxlan->192.0.2.2", "flood", "drop:hairpin"
    public var actions: String
    /// Flows that came in through the VXLAN port: the VTEP they came from (decapsulated).
    public var remote: String?
    public var packets: UInt64
    public var bytes: UInt64
    public var ageSeconds: Double
    public var idleSeconds: Double
    public var thread: Int

    public init(inPort: String, network: String, ethSrc: String, ethDst: String, actions: String, packets: UInt64,
                bytes: UInt64, ageSeconds: Double, idleSeconds: Double, thread: Int, remote: String? = nil) {
        self.inPort = inPort; self.network = network; self.ethSrc = ethSrc; self.ethDst = ethDst; self.remote = remote
        self.actions = actions; self.packets = packets; self.bytes = bytes
        self.ageSeconds = ageSeconds; self.idleSeconds = idleSeconds; self.thread = thread
    }
    enum CodingKeys: String, CodingKey {
        case network, actions, packets, bytes, thread, remote
        case inPort = "in_port", ethSrc = "eth_src", ethDst = "eth_dst", ageSeconds = "age", idleSeconds = "idle"
    }
}

public struct FlowsDoc: Codable, Equatable, Sendable {
    public var flows: [FlowDoc]
    public var stats: FlowStatsDoc
    /// More flows follow: ask again with `after=next` (the dump is paged).
    public var next: Int?
    public init(flows: [FlowDoc], stats: FlowStatsDoc, next: Int? = nil) { self.flows = flows; self.stats = stats; self.next = next }
}

public struct FlowStatsDoc: Codable, Equatable, Sendable {
    public var entries: Int
    public var limit: Int
    public var created: UInt64
    public var hits: UInt64
    /// Packets whose flow was not in the table: new flows plus those the full table could not record.
    public var misses: UInt64
    public var hitRate: Double
    public var expired: UInt64
    public var notRecorded: UInt64
    /// Entries whose decision changed (e.g. flood -> output once the destination was learned) or that
    /// were flushed.
    public var invalidations: UInt64
    public init(entries: Int, limit: Int, created: UInt64, hits: UInt64, expired: UInt64, notRecorded: UInt64,
                invalidations: UInt64) {
        self.entries = entries; self.limit = limit; self.created = created; self.hits = hits
        self.expired = expired; self.notRecorded = notRecorded; self.invalidations = invalidations
        misses = created + notRecorded
        hitRate = hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }
    enum CodingKeys: String, CodingKey {
        case entries, limit, created, hits, misses, expired, invalidations
        case notRecorded = "not_recorded", hitRate = "hit_rate"
    }
}

public struct APIErrorDoc: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var code: String
        public var message: String
        /// Where the (first) problem is, as a path into the document ("networks.blue.vlan").
        public var path: String?
        /// Every problem of a refused document.
        public var errors: [Detail]?
    }
    public struct Detail: Codable, Sendable {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
    }
    public var error: Body
    public init(code: String, message: String, path: String? = nil, errors: [Detail]? = nil) {
        error = Body(code: code, message: message, path: path, errors: errors)
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
    public init(uptime: Double, ports: [PortStateDoc], pipeline: Pipeline, tables: [Table]) {
        self.uptime = uptime; self.ports = ports; self.pipeline = pipeline; self.tables = tables
    }
}

/// One packet's way through the pipeline, stage by stage (`swivelctl trace`).
public struct TraceDoc: Codable, Equatable, Sendable {
    public struct Step: Codable, Equatable, Sendable {
        public var stage: String
        public var detail: String
        public init(stage: String, detail: String) { self.stage = stage; self.detail = detail }
    }
    public var port: String
    public var packet: String      // summary of the frame's headers
    public var hex: String         // the frame's first bytes
    public var steps: [Step]
    public var verdict: String     // "output to p2", "flood to p1, p3", "drop: hairpin"
    public init(port: String, packet: String, hex: String, steps: [Step], verdict: String) {
        self.port = port; self.packet = packet; self.hex = hex; self.steps = steps; self.verdict = verdict
    }
}

public struct TraceRequest: Codable, Sendable {
    public var port: String
    public var packet: String?     // field syntax, e.g. "eth_dst=…,ip_dst=10.2.0.5,tcp,tcp_dst=80"
    public var hex: String?
    public init(port: String, packet: String? = nil, hex: String? = nil) { self.port = port; self.packet = packet; self.hex = hex }
}

public struct LiveTraceRequest: Codable, Sendable {
    public var port: String
    public var count: Int
    public var filter: String?
    public var timeout: Double?
    public init(port: String, count: Int, filter: String? = nil, timeout: Double? = nil) {
        self.port = port; self.count = count; self.filter = filter; self.timeout = timeout
    }
}

// MARK: routing

public struct RouteDoc: Codable, Equatable, Sendable {
    public var router: String
    public var prefix: String
    /// The gateway, or "-" for a connected route.
    public var nextHop: String
    /// The network the route leaves through, and the router's address there.
    public var network: String
    public var interfaceAddress: String
    public var source: String      // connected | static
    public init(router: String, prefix: String, nextHop: String, network: String, interfaceAddress: String, source: String) {
        self.router = router; self.prefix = prefix; self.nextHop = nextHop; self.network = network
        self.interfaceAddress = interfaceAddress; self.source = source
    }
    enum CodingKeys: String, CodingKey {
        case router, prefix, network, source
        case nextHop = "next_hop", interfaceAddress = "interface_address"
    }
}

public struct NeighborDoc: Codable, Equatable, Sendable {
    public var router: String
    public var network: String
    public var address: String
    public var mac: String         // "-" while incomplete
    public var state: String       // incomplete | reachable | stale
    public var ageSeconds: Double  // since created or last confirmed
    public var waiting: Int        // packets queued for this address
    public init(router: String, network: String, address: String, mac: String, state: String, ageSeconds: Double, waiting: Int) {
        self.router = router; self.network = network; self.address = address; self.mac = mac; self.state = state
        self.ageSeconds = ageSeconds; self.waiting = waiting
    }
    enum CodingKeys: String, CodingKey {
        case router, network, address, mac, state, waiting
        case ageSeconds = "age_seconds"
    }
}

public struct RouteRequest: Codable, Equatable, Sendable {
    public var router: String
    public var to: String
    public var via: String?
    public init(router: String, to: String, via: String? = nil) { self.router = router; self.to = to; self.via = via }
}

/// One security-group rule with its hits (`swivelctl acl show`, `GET /v1/state/acl`).
public struct ACLRuleDoc: Codable, Equatable, Sendable {
    public var id: Int
    /// The group, or "" for the built-in rules (defaults, implicit DHCP, related ICMP errors).
    public var group: String
    public var index: Int
    public var direction: String
    public var action: String
    public var priority: Int
    public var rule: String
    /// New connections (and untracked packets) this rule decided.
    public var hits: UInt64
    public init(id: Int, group: String, index: Int, direction: String, action: String, priority: Int, rule: String, hits: UInt64) {
        self.id = id; self.group = group; self.index = index; self.direction = direction; self.action = action
        self.priority = priority; self.rule = rule; self.hits = hits
    }
}

public struct ACLDoc: Codable, Equatable, Sendable {
    public struct PortGroups: Codable, Equatable, Sendable {
        public var port: String
        public var groups: [String]
        public var classifierTuples: Int
        public init(port: String, groups: [String], classifierTuples: Int) {
            self.port = port; self.groups = groups; self.classifierTuples = classifierTuples
        }
        enum CodingKeys: String, CodingKey { case port, groups; case classifierTuples = "classifier_tuples" }
    }
    public var ports: [PortGroups]
    public var rules: [ACLRuleDoc]
    public init(ports: [PortGroups], rules: [ACLRuleDoc]) { self.ports = ports; self.rules = rules }
}

/// One tracked connection in one port's zone (`swivelctl conntrack show`, `GET /v1/state/conntrack`).
public struct ConnectionDoc: Codable, Equatable, Sendable {
    /// The entry's slot: a cursor for paging (`after=id`).
    public var id: Int?
    public var port: String
    public var `protocol`: String
    public var source: String
    public var destination: String
    public var sourcePort: Int
    public var destinationPort: Int
    public var state: String
    /// egress: the port opened it; ingress: it came in to the port.
    public var origin: String
    public var rule: Int
    public var packets: [UInt64]   // original, reply
    public var bytes: [UInt64]
    public var age: Double
    public var idle: Double
    public var expiresIn: Double
    public init(port: String, protocol proto: String, source: String, destination: String, sourcePort: Int, destinationPort: Int,
                state: String, origin: String, rule: Int, packets: [UInt64], bytes: [UInt64], age: Double, idle: Double,
                expiresIn: Double) {
        self.port = port; self.protocol = proto; self.source = source; self.destination = destination
        self.sourcePort = sourcePort; self.destinationPort = destinationPort; self.state = state; self.origin = origin
        self.rule = rule; self.packets = packets; self.bytes = bytes; self.age = age; self.idle = idle; self.expiresIn = expiresIn
    }
    enum CodingKeys: String, CodingKey {
        case id, port, `protocol`, source, destination, state, origin, rule, packets, bytes, age, idle
        case sourcePort = "source_port", destinationPort = "destination_port", expiresIn = "expires_in"
    }
}

public struct ConntrackStatsDoc: Codable, Equatable, Sendable {
    public var entries: Int
    public var capacity: Int
    public var byState: [String: Int]
    public var created: UInt64
    public var expired: UInt64
    public var evicted: UInt64
    public var refused: UInt64
    public var invalid: UInt64
    public var revoked: UInt64
    public var flushed: UInt64
    public var related: UInt64
    public var fragmentsFollowed: UInt64
    public var lookups: UInt64
    public var hits: UInt64
    public var loose: Bool
    public var ruleGeneration: Int
    public init(entries: Int, capacity: Int, byState: [String: Int], created: UInt64, expired: UInt64, evicted: UInt64,
                refused: UInt64, invalid: UInt64, revoked: UInt64, flushed: UInt64, related: UInt64, fragmentsFollowed: UInt64,
                lookups: UInt64, hits: UInt64, loose: Bool, ruleGeneration: Int) {
        self.entries = entries; self.capacity = capacity; self.byState = byState; self.created = created
        self.expired = expired; self.evicted = evicted; self.refused = refused; self.invalid = invalid
        self.revoked = revoked; self.flushed = flushed; self.related = related; self.fragmentsFollowed = fragmentsFollowed
        self.lookups = lookups; self.hits = hits; self.loose = loose; self.ruleGeneration = ruleGeneration
    }
    enum CodingKeys: String, CodingKey {
        case entries, capacity, created, expired, evicted, refused, invalid, revoked, flushed, related, lookups, hits, loose
        case byState = "by_state", fragmentsFollowed = "fragments_followed", ruleGeneration = "rule_generation"
    }
}

public struct ConntrackFlushRequest: Codable, Equatable, Sendable {
    public var port: String?
    public init(port: String? = nil) { self.port = port }
}

/// `GET /v1/state/overlay`: this host as a VTEP, what each overlay network floods to, and how many remote
/// MACs the FDB knows behind each network and each remote VTEP.
public struct OverlayStateDoc: Codable, Equatable, Sendable {
    public struct Network: Codable, Equatable, Sendable {
        public var network: String
        public var vni: Int
        public var remoteVteps: [String]
        public var remoteMacs: Int
        public init(network: String, vni: Int, remoteVteps: [String], remoteMacs: Int) {
            self.network = network; self.vni = vni; self.remoteVteps = remoteVteps; self.remoteMacs = remoteMacs
        }
        enum CodingKeys: String, CodingKey { case network, vni, remoteVteps = "remote_vteps", remoteMacs = "remote_macs" }
    }
    public struct VTEP: Codable, Equatable, Sendable {
        public var vtep: String
        public var macs: Int
        public var staticMacs: Int
        public init(vtep: String, macs: Int, staticMacs: Int) { self.vtep = vtep; self.macs = macs; self.staticMacs = staticMacs }
        enum CodingKeys: String, CodingKey { case vtep, macs, staticMacs = "static_macs" }
    }
    public var configured: Bool
    public var localIP: String?
    public var udpPort: Int?
    public var device: String?
    public var state: String?
    public var innerMTU: Int?
    public var learn: Bool?
    public var ttl: Int?
    public var df: Bool?
    public var networks: [Network]
    public var vteps: [VTEP]
    public init(configured: Bool, networks: [Network] = [], vteps: [VTEP] = []) {
        self.configured = configured; self.networks = networks; self.vteps = vteps
    }
    enum CodingKeys: String, CodingKey {
        case configured, device, state, learn, ttl, df, networks, vteps
        case localIP = "local_ip", udpPort = "udp_port", innerMTU = "inner_mtu"
    }
}
