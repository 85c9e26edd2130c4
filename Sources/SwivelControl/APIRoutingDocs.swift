// API documents of the routers: `GET /v1/state/routes`, `/v1/state/neighbors`, and the `route-add`/`route-del` actions.

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
