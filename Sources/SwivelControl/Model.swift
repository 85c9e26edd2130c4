/// The network model of shared/network-model.md: what the config file, the API and `config show` carry.
/// Names are identities. This datapath uses `networks` and `ports`; later keys slot in here.
public struct NetworkConfig: Codable, Equatable, Sendable {
    public var networks: [NetworkSpec]
    public var ports: [PortSpec]

    public init(networks: [NetworkSpec] = [], ports: [PortSpec] = []) {
        self.networks = networks; self.ports = ports
    }

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
    public var mtu: Int?
    public var fdb: FDBSettings?
    public var owner: String?
    public init(name: String, vlan: Int? = nil, mtu: Int? = nil, fdb: FDBSettings? = nil, owner: String? = nil) {
        self.name = name; self.vlan = vlan; self.mtu = mtu; self.fdb = fdb; self.owner = owner
    }
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
    /// At most this many MACs learned on the port (default: only the network's limit applies).
    public var maxMacs: Int?
    /// MACs pinned to this port in its network: never aged, never moved by traffic elsewhere.
    public var staticMacs: [String]?
    /// Storm control: at most this many flooded frames (broadcast, multicast, unknown unicast) per second
    /// from this port.
    public var stormControlPPS: Int?
    public init(name: String, kind: PortKind, device: String, network: String? = nil, owner: String? = nil,
                maxMacs: Int? = nil, staticMacs: [String]? = nil) {
        self.name = name; self.kind = kind; self.device = device; self.network = network; self.owner = owner
        self.maxMacs = maxMacs; self.staticMacs = staticMacs
    }
    enum CodingKeys: String, CodingKey {
        case name, kind, device, network, trunk, native, addresses, owner
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

/// A problem found in a config, with where it is: file, line and column (or a JSON path for the API).
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var path: String
    public var reason: String
    public init(file: String, line: Int = 0, column: Int = 0, path: String, reason: String) {
        self.file = file; self.line = line; self.column = column; self.path = path; self.reason = reason
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
