import SwivelPacket
import SwivelAddress

/// A router's presence on one network: its gateway address there, the prefix of that subnet, its MAC.
public struct RouterInterface: Sendable, Equatable {
    public var router: UInt16
    public var network: UInt16
    public var address: UInt32
    public var prefixLength: Int
    public var mac: MACAddress
    /// The network's MTU: routed packets longer than this need fragmenting.
    public var mtu: Int

    public init(router: UInt16, network: UInt16, address: UInt32, prefixLength: Int, mac: MACAddress, mtu: Int = 1500) {
        self.router = router; self.network = network; self.address = address
        self.prefixLength = prefixLength; self.mac = mac; self.mtu = mtu
    }
    public var prefix: UInt32 { prefixLength == 0 ? 0 : address & ~UInt32(0) << (32 - prefixLength) }
}

/// Where a route sends packets: out of an interface, to a gateway on its subnet or (gateway 0) to the
/// destination itself (a connected route).
public struct NextHop: Sendable, Equatable {
    public var interface: UInt16
    public var gateway: UInt32
    public init(interface: UInt16, gateway: UInt32) { self.interface = interface; self.gateway = gateway }
    /// The gateway value of a router's own address (a /32 in its table): delivered to the router itself.
    public static let localGateway = UInt32.max
    @inlinable public var isLocal: Bool { gateway == Self.localGateway }
}

/// One route as the control plane shows it.
public struct RouteEntry: Sendable, Equatable {
    public enum Source: String, Sendable { case connected, `static` }
    public var prefix: UInt32
    public var length: Int
    public var nextHop: NextHop
    public var source: Source
    public init(prefix: UInt32, length: Int, nextHop: NextHop, source: Source) {
        self.prefix = length == 0 ? 0 : prefix & ~UInt32(0) << (32 - length)
        self.length = length; self.nextHop = nextHop; self.source = source
    }
}

/// Every router's interfaces and routing table (its VRF): one immutable snapshot the datapath adopts
/// between batches. Routers are independent: each has its own LPM table, so two routers may hold the
/// same prefixes for different tenants.
/// Ownership: shared read-only snapshot (built off the datapath by RoutingBuilder, adopted between batches).
public final class Routing: Sendable {
    public let routerNames: [String]
    public let interfaces: [RouterInterface]
    /// Per router: its table and the routes it was built from.
    public let tables: [LPMTable]
    public let routes: [[RouteEntry]]
    /// All routers' next hops; an LPM value is an index here.
    public let nextHops: [NextHop]
    /// Router interfaces by network, flattened: the interfaces of network n are
    /// `interfaceOrder[networkStart[n] ..< networkStart[n + 1]]`.
    @usableFromInline let networkStart: [Int32]
    @usableFromInline let interfaceOrder: [UInt16]

    public static let empty = Routing(routerNames: [], interfaces: [], routes: [])

    /// - Parameter routes: per router, static routes and connected routes alike.
    public init(routerNames: [String], interfaces: [RouterInterface], routes: [[RouteEntry]]) {
        precondition(routes.count == routerNames.count)
        self.routerNames = routerNames
        self.interfaces = interfaces
        self.routes = routes
        var hops: [NextHop] = []
        var tables: [LPMTable] = []
        for (router, table) in routes.enumerated() {
            var lpm: [LPMTable.Route] = []
            lpm.reserveCapacity(table.count)
            for r in table {
                lpm.append(.init(prefix: r.prefix, length: r.length, value: UInt32(hops.count)))
                hops.append(r.nextHop)
            }
            // The router's own addresses, as /32 routes: one lookup tells local delivery from forwarding.
            for (i, itf) in interfaces.enumerated() where Int(itf.router) == router {
                lpm.append(.init(prefix: itf.address, length: 32, value: UInt32(hops.count)))
                hops.append(NextHop(interface: UInt16(i), gateway: NextHop.localGateway))
            }
            tables.append(LPMTable(routes: lpm))
        }
        self.tables = tables
        nextHops = hops
        let networks = (interfaces.map { Int($0.network) }.max() ?? -1) + 1
        var start = [Int32](repeating: 0, count: networks + 1)
        var order: [UInt16] = []
        for n in 0..<networks {
            start[n] = Int32(order.count)
            for (i, itf) in interfaces.enumerated() where Int(itf.network) == n { order.append(UInt16(i)) }
        }
        start[networks] = Int32(order.count)
        networkStart = start
        interfaceOrder = order
    }

    /// The router interface on `network` whose MAC is `mac`: frames to it are routed.
    @inlinable @inline(__always)
    public func interface(network: UInt16, mac: MACAddress) -> Int? {
        firstInterface(on: network) { $0.mac == mac }
    }

    /// The router interface on `network` that owns `address` (an ARP request's target).
    @inlinable @inline(__always)
    public func interface(network: UInt16, address: UInt32) -> Int? {
        firstInterface(on: network) { $0.address == address }
    }

    @inlinable @inline(__always)
    func firstInterface(on network: UInt16, where matches: (RouterInterface) -> Bool) -> Int? {
        let n = Int(network)
        guard n + 1 < networkStart.count else { return nil }
        for i in Int(networkStart[n])..<Int(networkStart[n + 1]) where matches(interfaces[Int(interfaceOrder[i])]) {
            return Int(interfaceOrder[i])
        }
        return nil
    }

    /// Whether any router has an interface on `network` (only then does ARP need a look).
    @inlinable @inline(__always)
    public func hasInterfaces(network: UInt16) -> Bool {
        let n = Int(network)
        return n + 1 < networkStart.count && networkStart[n] != networkStart[n + 1]
    }

    @inlinable @inline(__always)
    public func lookup(router: UInt16, _ destination: UInt32) -> NextHop? {
        tables[Int(router)].lookup(destination).map { nextHops[Int($0)] }
    }
}
