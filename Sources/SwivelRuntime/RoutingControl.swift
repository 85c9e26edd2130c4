import SwivelControl
import SwivelPacket
import SwivelPipeline

/// Routes and neighbours through the API: read from the datapath's snapshot and tables between batches;
/// route changes build a new snapshot and hand it to the datapath.
extension SwitchRuntime {
    public func routes() async throws -> [RouteDoc] {
        try await mailbox.perform { dp in
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

    public func neighbors() async throws -> [NeighborDoc] {
        try await mailbox.perform { dp in
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

    /// Adds a static route to a router at run time (kept until restart or `route del`).
    public func addRoute(_ r: RouteRequest) async throws -> RouteRequest {
        guard let prefix = IPv4Prefix(r.to) else { throw RequestError("invalid-prefix", "'\(r.to)' is not an IPv4 prefix (a.b.c.d/len)") }
        guard let viaText = r.via, let via = IPv4Address.parse(viaText) else {
            throw RequestError("invalid-address", "a route needs 'via', an IPv4 next hop")
        }
        let config = self.config, networkIDs = self.networkIDs
        try await mailbox.perform { dp in
            let routing = dp.pipeline.routing
            guard let router = routing.routerNames.firstIndex(of: r.router) else {
                throw RequestError("unknown-router", "no router named '\(r.router)'")
            }
            guard routing.interfaces.contains(where: { $0.router == UInt16(router)
                && IPv4Prefix(address: $0.address, length: $0.prefixLength).contains(via) }) else {
                throw RequestError("invalid-next-hop", "next hop \(viaText) is not on any subnet router '\(r.router)' is attached to")
            }
            if routing.routes[router].contains(where: { $0.prefix == prefix.network && $0.length == prefix.length && $0.source == .static }) {
                throw RequestError("route-exists", "router '\(r.router)' already has a static route to \(prefix)")
            }
            dp.addedRoutes[r.router, default: []].append(RouteSpec(to: prefix.description, via: viaText))
            dp.pipeline.adopt(routing: RoutingBuilder.build(Self.withoutRemovedRoutes(config, dp.removedConfigRoutes),
                                                            networkIDs: networkIDs, extraRoutes: dp.addedRoutes))
        }
        return r
    }

    /// Removes a static route (one from the config file or one added at run time) until restart.
    public func removeRoute(_ r: RouteRequest) async throws -> [String: Int] {
        guard let prefix = IPv4Prefix(r.to) else { throw RequestError("invalid-prefix", "'\(r.to)' is not an IPv4 prefix (a.b.c.d/len)") }
        let base = self.config, networkIDs = self.networkIDs
        return try await mailbox.perform { dp in
            guard dp.pipeline.routing.routerNames.contains(r.router) else { throw RequestError("unknown-router", "no router named '\(r.router)'") }
            let matches = { (s: RouteSpec) in IPv4Prefix(s.to).map { $0.network == prefix.network && $0.length == prefix.length } ?? false }
            let key = "\(r.router) \(prefix)"
            let added = dp.addedRoutes[r.router, default: []].count
            dp.addedRoutes[r.router]?.removeAll(where: matches)
            var removed = added - dp.addedRoutes[r.router, default: []].count
            let inConfig = base.routers.first { $0.name == r.router }?.routes?.contains(where: matches) ?? false
            if inConfig && dp.removedConfigRoutes.insert(key).inserted { removed += 1 }
            guard removed > 0 else { throw RequestError("unknown-route", "router '\(r.router)' has no static route to \(prefix)") }
            dp.pipeline.adopt(routing: RoutingBuilder.build(Self.withoutRemovedRoutes(base, dp.removedConfigRoutes),
                                                            networkIDs: networkIDs, extraRoutes: dp.addedRoutes))
            return ["removed": removed]
        }
    }

    static func withoutRemovedRoutes(_ config: NetworkConfig, _ removed: Set<String>) -> NetworkConfig {
        var c = config
        for i in c.routers.indices {
            let name = c.routers[i].name
            c.routers[i].routes?.removeAll { s in IPv4Prefix(s.to).map { removed.contains("\(name) \($0)") } ?? false }
        }
        return c
    }
}
