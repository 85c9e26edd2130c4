// API documents of security groups and connection tracking: `/v1/state/acl` (rules with hits), `/v1/state/conntrack` and its statistics, `conntrack-flush`.

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
