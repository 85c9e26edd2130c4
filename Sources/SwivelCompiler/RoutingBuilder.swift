import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// Turns the model's routers (validated) into the datapath's routing snapshot: one interface per router
/// and attached subnet, connected routes for those subnets, the static routes resolved to the
/// interface their next hop is on.
public enum RoutingBuilder {
    /// `overlayMTU`: the inner MTU of the overlay (underlay MTU - 50), the ceiling of networks with a VNI.
    public static func build(_ config: NetworkConfig, networkIDs: [String: UInt16], overlayMTU: Int? = nil) -> Routing {
        var interfaces: [RouterInterface] = []
        var tables: [[RouteEntry]] = []
        for (r, router) in config.routers.enumerated() {
            var routes: [RouteEntry] = []
            for a in router.networks {
                guard let spec = config.networks.first(where: { $0.name == a.network }), let network = networkIDs[a.network] else { continue }
                for subnet in spec.subnets ?? [] {
                    guard let prefix = IPv4Prefix(subnet.cidr) else { continue }
                    let address: UInt32
                    if let text = a.address {
                        guard let ip = IPv4Address.parse(text), prefix.contains(ip) else { continue }
                        address = ip
                    } else {
                        guard let ip = subnet.gateway.flatMap(IPv4Address.parse) else { continue }
                        address = ip
                    }
                    let mac = a.mac.flatMap { MACAddress($0) } ?? routerMAC(router: router.name, network: a.network, address: address)
                    let index = UInt16(interfaces.count)
                    interfaces.append(RouterInterface(router: UInt16(r), network: network, address: address,
                                                      prefixLength: prefix.length, mac: mac, mtu: mtu(spec, overlayMTU: overlayMTU)))
                    routes.append(RouteEntry(prefix: prefix.network, length: prefix.length,
                                             nextHop: NextHop(interface: index, gateway: 0), source: .connected))
                }
            }
            for route in router.routes ?? [] {
                guard let to = IPv4Prefix(route.to), let via = IPv4Address.parse(route.via),
                      let itf = interfaces.indices.first(where: { i in
                          interfaces[i].router == UInt16(r) && IPv4Prefix(address: interfaces[i].address, length: interfaces[i].prefixLength).contains(via)
                      }) else { continue }
                routes.append(RouteEntry(prefix: to.network, length: to.length,
                                         nextHop: NextHop(interface: UInt16(itf), gateway: via), source: .static))
            }
            tables.append(routes)
        }
        return Routing(routerNames: config.routers.map(\.name), interfaces: interfaces, routes: tables)
    }

    static func mtu(_ spec: NetworkSpec, overlayMTU: Int?) -> Int {
        guard spec.vni != nil, let overlayMTU else { return spec.mtu ?? 1500 }
        return min(spec.mtu ?? overlayMTU, overlayMTU)
    }

    /// A stable, locally administered MAC per router interface (02:5e + 32 bits of FNV-1a over the
    /// names and address), so a restart or a reordered config keeps the MACs hosts have cached.
    public static func routerMAC(router: String, network: String, address: UInt32) -> MACAddress {
        var h: UInt32 = 0x811C_9DC5
        for b in "\(router)/\(network)/\(address)".utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return MACAddress(rawValue: 0x025E_0000_0000 | UInt64(h))
    }
}
