import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl route show|add|del` and `swivelctl neighbor show`: the routers' tables.

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "Routers' routing tables.",
                                                    subcommands: [Show.self, Add.self, Del.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Routes per router: prefix, next hop, network, source (connected or static).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this router's routes.") var router: String?
        func run() async throws {
            do {
                var (routes, _) = try await connection.get("/v1/state/routes", as: [RouteDoc].self)
                routes = routes.filter { router == nil || $0.router == router }
                if connection.json { try connection.printEncoded(routes); return }
                var t = TextTable(headers: ["ROUTER", "PREFIX", "NEXT-HOP", "NETWORK", "VIA-ADDRESS", "SOURCE"])
                for r in routes { t.rows.append([r.router, r.prefix, r.nextHop, r.network, r.interfaceAddress, r.source]) }
                print(t.render())
            } catch { throw fail(error) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a static route to a router (until restart).")
        @OptionGroup var connection: Connection
        @Option(help: "The router.") var router: String
        @Option(help: "The destination prefix, e.g. 10.9.0.0/16 or 0.0.0.0/0.") var to: String
        @Option(help: "The next hop, on a subnet the router is attached to.") var via: String
        func run() async throws {
            do { try await connection.act("/v1/actions/route-add", RouteRequest(router: router, to: to, via: via), answer: RouteRequest.self) } catch { throw fail(error) }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a static route from a router (until restart).")
        @OptionGroup var connection: Connection
        @Option(help: "The router.") var router: String
        @Option(help: "The destination prefix.") var to: String
        func run() async throws {
            do { try await connection.act("/v1/actions/route-del", RouteRequest(router: router, to: to), answer: [String: Int].self) } catch { throw fail(error) }
        }
    }
}

struct NeighborCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "neighbor", abstract: "Routers' neighbour (ARP) tables.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Addresses the routers resolved: MAC, state, age, packets waiting.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this router's neighbours.") var router: String?
        func run() async throws {
            do {
                var (neighbors, _) = try await connection.get("/v1/state/neighbors", as: [NeighborDoc].self)
                neighbors = neighbors.filter { router == nil || $0.router == router }
                if connection.json { try connection.printEncoded(neighbors); return }
                var t = TextTable(headers: ["ROUTER", "NETWORK", "ADDRESS", "MAC", "STATE", "AGE", "WAITING"], numeric: [5, 6])
                for n in neighbors {
                    t.rows.append([n.router, n.network, n.address, n.mac, n.state, String(format: "%.0fs", n.ageSeconds), "\(n.waiting)"])
                }
                print(t.render())
            } catch { throw fail(error) }
        }
    }
}
