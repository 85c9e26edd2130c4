
/// The network model of shared/network-model.md: what the config file, the API and `config show` carry.
/// Names are identities. Implemented: `networks` (with subnets), `routers`, `ports`; later keys slot in here.
public struct NetworkConfig: Codable, Equatable, Sendable {
    public var networks: [NetworkSpec]
    public var routers: [RouterSpec]
    public var securityGroups: [SecurityGroupSpec]
    public var ports: [PortSpec]
    /// This host as a VXLAN tunnel endpoint; nil: no overlay (networks with a `vni` need one).
    public var overlay: OverlaySpec?

    public init(networks: [NetworkSpec] = [], routers: [RouterSpec] = [], securityGroups: [SecurityGroupSpec] = [],
                ports: [PortSpec] = [], overlay: OverlaySpec? = nil) {
        self.networks = networks; self.routers = routers; self.securityGroups = securityGroups; self.ports = ports
        self.overlay = overlay
    }

    /// Every list is optional in JSON, as in YAML: `{"ports": [...]}` is a whole desired state.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        networks = try c.decodeIfPresent([NetworkSpec].self, forKey: .networks) ?? []
        routers = try c.decodeIfPresent([RouterSpec].self, forKey: .routers) ?? []
        securityGroups = try c.decodeIfPresent([SecurityGroupSpec].self, forKey: .securityGroups) ?? []
        ports = try c.decodeIfPresent([PortSpec].self, forKey: .ports) ?? []
        overlay = try c.decodeIfPresent(OverlaySpec.self, forKey: .overlay)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(networks, forKey: .networks)
        try c.encode(routers, forKey: .routers)
        if !securityGroups.isEmpty { try c.encode(securityGroups, forKey: .securityGroups) }
        try c.encode(ports, forKey: .ports)
        try c.encodeIfPresent(overlay, forKey: .overlay)
    }
    enum CodingKeys: String, CodingKey { case networks, routers, securityGroups = "security_groups", ports, overlay }

    public static let defaultNetworkName = "default"
}

public struct FDBSettings: Codable, Equatable, Sendable {
    public var agingSeconds: Int?
    public var maxEntries: Int?
    public init(agingSeconds: Int? = nil, maxEntries: Int? = nil) { self.agingSeconds = agingSeconds; self.maxEntries = maxEntries }
    enum CodingKeys: String, CodingKey { case agingSeconds = "aging_seconds", maxEntries = "max_entries" }
}

public struct NetworkSpec: Codable, Equatable, Sendable {
    public var name: String
    public var vlan: Int?
    /// VXLAN network identifier: the network is carried between hosts on the overlay under this VNI.
    public var vni: Int?
    public var mtu: Int?
    public var subnets: [SubnetSpec]?
    public var fdb: FDBSettings?
    /// Remote VTEPs (IPv4) that get this network's broadcast, unknown unicast and multicast.
    public var remoteVteps: [String]?
    public var owner: String?
    public init(name: String, vlan: Int? = nil, vni: Int? = nil, mtu: Int? = nil, subnets: [SubnetSpec]? = nil, fdb: FDBSettings? = nil,
                remoteVteps: [String]? = nil, owner: String? = nil) {
        self.name = name; self.vlan = vlan; self.vni = vni; self.mtu = mtu; self.subnets = subnets; self.fdb = fdb
        self.remoteVteps = remoteVteps; self.owner = owner
    }
    enum CodingKeys: String, CodingKey { case name, vlan, vni, mtu, subnets, fdb, remoteVteps = "remote_vteps", owner }
}

/// This host as a VXLAN tunnel endpoint (RFC 7348 over IPv4).
public struct OverlaySpec: Codable, Equatable, Sendable {
    /// Source address of encapsulated packets and the address VXLAN is received on (must be on this host).
    public var localIP: String
    /// The underlay interface: its MTU sets the inner MTU (MTU - 50), and the sockets are tied to it.
    public var device: String?
    public var udpPort: Int?
    /// Learn remote MAC -> VTEP from decapsulated frames of the listed VTEPs (default true).
    public var learn: Bool?
    /// Also take (and learn from) frames of VTEPs no network lists: open flood-and-learn (default false).
    /// Underlay sources can be spoofed: the list stops misconfiguration and injection, not a spoofer.
    public var learnFromAny: Bool?
    /// Outer IPv4 TTL (default 64) and don't-fragment bit (default true).
    public var ttl: Int?
    public var df: Bool?
    public var owner: String?
    public init(localIP: String, device: String? = nil, udpPort: Int? = nil, learn: Bool? = nil, ttl: Int? = nil, df: Bool? = nil,
                owner: String? = nil) {
        self.localIP = localIP; self.device = device; self.udpPort = udpPort; self.learn = learn; self.ttl = ttl; self.df = df
        self.owner = owner
    }
    enum CodingKeys: String, CodingKey {
        case localIP = "local_ip", device, udpPort = "udp_port", learn, learnFromAny = "learn_from_any", ttl, df, owner
    }
    /// There is one overlay; as a model object it is called "overlay".
    public var name: String { "overlay" }
    /// Whether a change needs the VXLAN port's sockets opened again (the rest is a new snapshot).
    public func needsNewSockets(comparedTo other: OverlaySpec?) -> Bool {
        other == nil || other!.localIP != localIP || other!.device != device || other!.udpPort != udpPort
    }

    /// The VXLAN port's name in port lists, counters and `fdb add --remote`.
    public static let portName = "vxlan"
}

/// An IPv4 subnet of a network, with the address routers use on it.
public struct SubnetSpec: Codable, Equatable, Sendable {
    public var cidr: String
    public var gateway: String?
    public init(cidr: String, gateway: String? = nil) { self.cidr = cidr; self.gateway = gateway }
}

/// A router: attachments to networks (each an interface with an address and a MAC) and static routes.
public struct RouterSpec: Codable, Equatable, Sendable {
    public var name: String
    public var networks: [RouterAttachment]
    public var routes: [RouteSpec]?
    public var owner: String?
    public init(name: String, networks: [RouterAttachment], routes: [RouteSpec]? = nil, owner: String? = nil) {
        self.name = name; self.networks = networks; self.routes = routes; self.owner = owner
    }
}

/// `network` alone uses the network's subnet gateways; `address` picks one (and `mac` sets the MAC).
public struct RouterAttachment: Codable, Equatable, Sendable {
    public var network: String
    public var address: String?
    public var mac: String?
    public init(network: String, address: String? = nil, mac: String? = nil) {
        self.network = network; self.address = address; self.mac = mac
    }
}

public struct RouteSpec: Codable, Equatable, Sendable {
    public var to: String
    public var via: String
    public init(to: String, via: String) { self.to = to; self.via = via }
}

public enum OffloadSetting: String, Codable, Sendable, CaseIterable {
    case auto, on, off
}

public enum PortKind: String, Codable, Sendable, CaseIterable {
    case afpacket, tap
}

/// Port security: one MAC the port may send from, and the IP addresses (IPv4 or IPv6) it may use with it.
public struct PortAddress: Codable, Equatable, Sendable {
    public var mac: String
    public var ips: [String]?
    public init(mac: String, ips: [String]? = nil) { self.mac = mac; self.ips = ips }
}

public struct PortSpec: Codable, Equatable, Sendable {
    public var name: String
    public var kind: PortKind
    public var device: String
    /// Access port of this network ...
    public var network: String?
    /// ... or a trunk carrying these networks tagged with their `vlan`,
    public var trunk: [String]?
    /// and this one untagged.
    public var native: String?
    /// Port security: when set, the port may only send from these MACs and IP addresses.
    public var addresses: [PortAddress]?
    public var owner: String?
    /// Free-form facts tools keep with the port (the CNI plugin records its attachment here).
    public var labels: [String: String]?
    /// At most this many MACs learned on the port (default: only the network's limit applies).
    public var maxMacs: Int?
    /// MACs pinned to this port in its network: never aged, never moved by traffic elsewhere.
    public var staticMacs: [String]?
    /// Storm control: at most this many flooded frames (broadcast, multicast, unknown unicast) per second
    /// from this port.
    public var stormControlPPS: Int?
    /// `auto` (default) and `on`: frames leave with their offload metadata; `off`: checksums completed and
    /// super-frames segmented in software before they leave.
    public var offloads: OffloadSetting?
    /// Security groups guarding the port (needs `addresses`: membership follows the pinned IPs).
    public var securityGroups: [String]?
    public init(name: String, kind: PortKind, device: String, network: String? = nil, owner: String? = nil,
                maxMacs: Int? = nil, staticMacs: [String]? = nil) {
        self.name = name; self.kind = kind; self.device = device; self.network = network; self.owner = owner
        self.maxMacs = maxMacs; self.staticMacs = staticMacs
    }
    enum CodingKeys: String, CodingKey {
        case name, kind, device, network, trunk, native, addresses, owner, labels
        case offloads, securityGroups = "security_groups"
        case maxMacs = "max_macs", staticMacs = "static_macs", stormControlPPS = "storm_control_pps"
    }
    public var isTrunk: Bool { trunk != nil }
    /// The network this port's untagged frames belong to: an access port without one joins `default`;
    /// a trunk has its native network or none.
    public var untaggedNetwork: String? { isTrunk ? native : network ?? NetworkConfig.defaultNetworkName }
    /// Every network the port carries.
    public var networks: [String] {
        var all = trunk ?? []
        if let u = untaggedNetwork, !all.contains(u) { all.insert(u, at: 0) }
        return all
    }
}

/// A security group: rules that guard the ports listing it (Docs/security-groups.md has the semantics).
public struct SecurityGroupSpec: Codable, Equatable, Sendable {
    public var name: String
    public var description: String?
    public var rules: [SecurityRuleSpec]
    public var owner: String?
    public init(name: String, rules: [SecurityRuleSpec], description: String? = nil, owner: String? = nil) {
        self.name = name; self.rules = rules; self.description = description; self.owner = owner
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        rules = try c.decodeIfPresent([SecurityRuleSpec].self, forKey: .rules) ?? []
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
    }
}

/// One rule. `direction` ingress: traffic to the port; egress: from it. `ports` is a number or "from-to"
/// (tcp/udp destination ports); `remote` a CIDR or `remote_group` a group whose ports' addresses match.
public struct SecurityRuleSpec: Codable, Equatable, Sendable {
    public var direction: String
    public var ethertype: String?
    public var `protocol`: String?
    public var ports: String?
    public var icmpType: Int?
    public var icmpCode: Int?
    public var remote: String?
    public var remoteGroup: String?
    public var action: String?
    public var priority: Int?
    public var description: String?
    public init(direction: String, protocol proto: String? = nil, ports: String? = nil, remote: String? = nil,
                remoteGroup: String? = nil, action: String? = nil, priority: Int? = nil) {
        self.direction = direction; self.protocol = proto; self.ports = ports; self.remote = remote
        self.remoteGroup = remoteGroup; self.action = action; self.priority = priority
    }
    enum CodingKeys: String, CodingKey {
        case direction, ethertype, `protocol`, ports, remote, action, priority, description
        case icmpType = "icmp_type", icmpCode = "icmp_code", remoteGroup = "remote_group"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        direction = try c.decode(String.self, forKey: .direction)
        ethertype = try c.decodeIfPresent(String.self, forKey: .ethertype)
        `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol)
        // A number (5432) or a range ("8000-8080").
        if let n = try? c.decodeIfPresent(Int.self, forKey: .ports) { ports = String(n) } else {
            ports = try c.decodeIfPresent(String.self, forKey: .ports)
        }
        icmpType = try c.decodeIfPresent(Int.self, forKey: .icmpType)
        icmpCode = try c.decodeIfPresent(Int.self, forKey: .icmpCode)
        remote = try c.decodeIfPresent(String.self, forKey: .remote)
        remoteGroup = try c.decodeIfPresent(String.self, forKey: .remoteGroup)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        priority = try c.decodeIfPresent(Int.self, forKey: .priority)
        description = try c.decodeIfPresent(String.self, forKey: .description)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(direction, forKey: .direction)
        try c.encodeIfPresent(ethertype, forKey: .ethertype)
        try c.encodeIfPresent(`protocol`, forKey: .protocol)
        if let ports, let n = Int(ports) { try c.encode(n, forKey: .ports) } else { try c.encodeIfPresent(ports, forKey: .ports) }
        try c.encodeIfPresent(icmpType, forKey: .icmpType)
        try c.encodeIfPresent(icmpCode, forKey: .icmpCode)
        try c.encodeIfPresent(remote, forKey: .remote)
        try c.encodeIfPresent(remoteGroup, forKey: .remoteGroup)
        try c.encodeIfPresent(action, forKey: .action)
        try c.encodeIfPresent(priority, forKey: .priority)
        try c.encodeIfPresent(description, forKey: .description)
    }

    /// The port range, when `ports` is valid.
    public var portRange: ClosedRange<Int>? {
        guard let ports else { return nil }
        let parts = ports.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let p = parts[0] { return p...p }
        if parts.count == 2, let a = parts[0], let b = parts[1], a <= b { return a...b }
        return nil
    }
    public var isDeny: Bool { action == "deny" }

    /// The rule in one line, as `acl show` prints it: "ingress tcp 5432 from group web".
    public var summary: String {
        var s = "\(direction) \(`protocol` ?? "any")"
        if let ports { s += " \(ports)" }
        if let t = icmpType { s += " type \(t)" + (icmpCode.map { " code \($0)" } ?? "") }
        let preposition = direction == "egress" ? "to" : "from"
        if let g = remoteGroup { s += " \(preposition) group \(g)" } else if let r = remote { s += " \(preposition) \(r)" }
        return s
    }
}

/// A problem found in a config, with where it is: file, line and column (or a JSON path for the API).
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var path: String
    public var reason: String
    /// The top-level object the problem is in, by position ("ports[2]", "overlay"); nil for the document
    /// as a whole. `--state-file-recover` sets such objects aside.
    public var object: String?
    /// What the API answers when this is the only kind of problem (`invalid-config` unless set).
    public var code: APIErrorCode?
    public init(file: String, line: Int = 0, column: Int = 0, path: String, reason: String, object: String? = nil,
                code: APIErrorCode? = nil) {
        self.file = file; self.line = line; self.column = column; self.path = path; self.reason = reason; self.object = object
        self.code = code
    }
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(path): \(reason)" : "\(file): \(path): \(reason)"
    }
}

public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
