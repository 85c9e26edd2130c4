// API documents of the MAC tables: `GET /v1/state/fdb` (entries, statistics, per-network limits) and the `fdb-add`, `fdb-del` and `fdb-flush` actions.

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
