// API documents of the flow table: `GET /v1/state/flows` (pages and statistics).

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
