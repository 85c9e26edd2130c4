import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// Routes and neighbours through the API: read from the datapath's snapshot and tables between batches;
/// route changes build a new snapshot and hand it to the datapath.
extension SwitchRuntime {
    public func routes() async throws -> [RouteDoc] {
        try await mailbox.send(ReadRoutes())
    }

    public func neighbors() async throws -> [NeighborDoc] {
        try await mailbox.send(ReadNeighbors())
    }

    /// Adds a static route to a router: a change of the router in the desired state (kept across restarts).
    public func addRoute(_ r: RouteRequest) async throws -> RouteRequest {
        guard let prefix = IPv4Prefix(r.to) else { throw RequestError(.invalidPrefix, "'\(r.to)' is not an IPv4 prefix (a.b.c.d/len)") }
        guard let viaText = r.via, IPv4Address.parse(viaText) != nil else {
            throw RequestError(.invalidAddress, "a route needs 'via', an IPv4 next hop")
        }
        var desired = try await desiredState()
        guard let i = desired.routers.firstIndex(where: { $0.name == r.router }) else {
            throw RequestError(.unknownRouter, "no router named '\(r.router)'")
        }
        if desired.routers[i].routes?.contains(where: { IPv4Prefix($0.to).map { $0.network == prefix.network && $0.length == prefix.length } ?? false }) == true {
            throw RequestError(.routeExists, "router '\(r.router)' already has a static route to \(prefix)")
        }
        desired.routers[i].routes = (desired.routers[i].routes ?? []) + [RouteSpec(to: prefix.description, via: viaText)]
        do { _ = try await commit(desired) } catch let e as RequestError where e.code == .invalidConfig {
            throw RequestError(.invalidNextHop, e.description)
        }
        return r
    }

    /// Removes a static route from a router's desired state.
    public func removeRoute(_ r: RouteRequest) async throws -> [String: Int] {
        guard let prefix = IPv4Prefix(r.to) else { throw RequestError(.invalidPrefix, "'\(r.to)' is not an IPv4 prefix (a.b.c.d/len)") }
        var desired = try await desiredState()
        guard let i = desired.routers.firstIndex(where: { $0.name == r.router }) else {
            throw RequestError(.unknownRouter, "no router named '\(r.router)'")
        }
        let before = desired.routers[i].routes?.count ?? 0
        desired.routers[i].routes?.removeAll { IPv4Prefix($0.to).map { $0.network == prefix.network && $0.length == prefix.length } ?? false }
        let removed = before - (desired.routers[i].routes?.count ?? 0)
        guard removed > 0 else { throw RequestError(.unknownRoute, "router '\(r.router)' has no static route to \(prefix)") }
        _ = try await commit(desired)
        return ["removed": removed]
    }
}

/// Every router's routes, static and connected, with their next hops.
struct ReadRoutes: ControlRequest {
    func run(on dp: Datapath) -> [RouteDoc] {
        let routing = dp.pipeline.routing
        var docs: [RouteDoc] = []
        for (r, table) in routing.routes.enumerated() {
            for e in table {
                let itf = routing.interfaces[Int(e.nextHop.interface)]
                docs.append(RouteDoc(router: routing.routerNames[r], prefix: "\(IPv4Address.format(e.prefix))/\(e.length)",
                                     nextHop: e.nextHop.gateway == 0 ? "-" : IPv4Address.format(e.nextHop.gateway),
                                     network: dp.networkNames[itf.network] ?? "#\(itf.network)",
                                     interfaceAddress: IPv4Address.format(itf.address), source: e.source.rawValue))
            }
        }
        return docs
    }
}

/// The routers' neighbour tables.
struct ReadNeighbors: ControlRequest {
    func run(on dp: Datapath) -> [NeighborDoc] {
        let routing = dp.pipeline.routing
        let now = dp.clock.nowNanos
        var docs: [NeighborDoc] = []
        dp.pipeline.l3.neighbors.table.forEach { key, n in
            guard Int(key.interface) < routing.interfaces.count else { return }
            let itf = routing.interfaces[Int(key.interface)]
            let state = n.state == .incomplete ? "incomplete" : n.state == .reachable ? "reachable" : "stale"
            docs.append(NeighborDoc(router: routing.routerNames[Int(itf.router)], network: dp.networkNames[itf.network] ?? "#\(itf.network)",
                                    address: IPv4Address.format(key.address), mac: n.state == .incomplete ? "-" : n.mac.description,
                                    state: state, ageSeconds: Double(now &- n.confirmedAt) / 1e9, waiting: Int(n.pendingCount)))
        }
        return docs.sorted { ($0.router, $0.network, $0.address) < ($1.router, $1.network, $1.address) }
    }
}
