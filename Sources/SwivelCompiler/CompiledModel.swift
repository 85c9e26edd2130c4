import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// Compiling: what the datapath's tables hold for one validated, numbered model — each network's FDB
/// settings, each port's networks, port security, limits and fixed MACs, the overlay, the routers and
/// the security groups. Pure and platform-free: the runtime compiles off the datapath thread and installs
/// the result between batches (`Pipeline.install`); the model fuzzer compiles every document that validates.
public struct CompiledModel: Sendable {
    public struct Network: Sendable, Equatable {
        public var id: UInt16
        public var name: String
        public var fdbLimit: Int
        public var agingSeconds: Int
    }

    public struct Port: Sendable, Equatable {
        public var id: UInt16
        /// What the model says (a change of anything here re-installs the port's settings).
        public var spec: PortSpec
        public var membership: PortMembership
        public var security: PortSecurityPolicy?
        /// MACs that never move, in the port's untagged network: static ones and the port-security ones.
        public var fixedMACs: [MACAddress]
        public var acceptsOffload: Bool
    }

    public var maxPorts: Int
    public var networks: [Network] = []
    public private(set) var ports: [Port] = []
    /// The VXLAN port's VNIs, remote VTEPs and outer-header settings (`.none`: no overlay).
    public var overlay: OverlayTable = .none
    public var routing: Routing = .empty
    public var security: SecurityTable

    /// Nothing: the model before the first install.
    public static func empty(maxPorts: Int) -> CompiledModel {
        CompiledModel(maxPorts: maxPorts, security: .empty(maxPorts: maxPorts))
    }

    /// `overlayMTU`: the inner MTU the underlay leaves (its MTU less the VXLAN overhead), nil without an overlay.
    public static func compile(_ desired: NetworkConfig, numbering: Numbering, maxPorts: Int, overlayMTU: Int? = nil) -> CompiledModel {
        var c = CompiledModel.empty(maxPorts: maxPorts)
        for (name, id) in numbering.networkIDs.sorted(by: { $0.value < $1.value }) {
            let spec = desired.networks.first { $0.name == name }
            c.networks.append(Network(id: id, name: name, fdbLimit: spec?.fdb?.maxEntries ?? FDB.defaultLimit,
                                      agingSeconds: spec?.fdb?.agingSeconds ?? FDB.defaultAgingSeconds))
        }
        let vlanOf = Dictionary(desired.networks.compactMap { n in n.vlan.map { (n.name, UInt16($0)) } }, uniquingKeysWith: { a, _ in a })
        for spec in desired.ports {
            guard let id = numbering.portIDs[spec.name], Int(id) < maxPorts else { continue }
            var tagged: [UInt16: UInt16] = [:]
            for n in spec.trunk ?? [] { if let vid = vlanOf[n], let net = numbering.networkIDs[n] { tagged[vid] = net } }
            let untagged = spec.untaggedNetwork.flatMap { numbering.networkIDs[$0] }
            let fixed = untagged == nil ? [] : ((spec.staticMacs ?? []) + (spec.addresses ?? []).map(\.mac)).compactMap { MACAddress($0) }
            c.portIndex[id] = c.ports.count
            c.ports.append(Port(id: id, spec: spec, membership: PortMembership(untagged: untagged, tagged: tagged),
                                security: spec.addresses.map(securityPolicy), fixedMACs: fixed, acceptsOffload: spec.offloads != .off))
        }
        if let o = desired.overlay, let id = numbering.overlayPortID, Int(id) < maxPorts {
            var networks: [UInt16: (vni: UInt32, remotes: [UInt32])] = [:]
            for n in desired.networks {
                guard let vni = n.vni, let net = numbering.networkIDs[n.name] else { continue }
                networks[net] = (UInt32(vni), (n.remoteVteps ?? []).compactMap(IPv4Address.parse))
            }
            c.overlay = OverlayTable(port: id, localAddress: IPv4Address.parse(o.localIP) ?? 0,
                                     udpPort: UInt16(o.udpPort ?? Int(Vxlan.defaultPort)), ttl: UInt8(o.ttl ?? 64),
                                     dontFragment: o.df ?? true, learn: o.learn ?? true,
                                     acceptFromAny: o.learnFromAny ?? false, networks: networks)
        }
        c.routing = RoutingBuilder.build(desired, networkIDs: numbering.networkIDs, overlayMTU: overlayMTU)
        c.security = SecurityBuilder.build(desired, portIDs: numbering.portIDs, maxPorts: maxPorts)
        return c
    }

    /// The datapath form of a port's `addresses` (validated text, so every parse succeeds).
    public static func securityPolicy(_ addresses: [PortAddress]) -> PortSecurityPolicy {
        PortSecurityPolicy(addresses: addresses.compactMap { a in
            guard let mac = MACAddress(a.mac) else { return nil }
            let ips = a.ips ?? []
            return .init(mac: mac, ipv4: ips.compactMap(IPv4Address.parse), ipv6: ips.compactMap(IPv6Address.parse))
        })
    }

    /// Position of each port in `ports`, by id: the install compares every port with its previous self.
    var portIndex: [UInt16: Int] = [:]

    public func port(id: UInt16) -> Port? { portIndex[id].map { ports[$0] } }
}
