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

public struct PortSpec: Codable, Equatable, Sendable {
    public var name: String
    public var kind: PortKind
    public var device: String
    public var network: String?
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
        case name, kind, device, network, owner
        case maxMacs = "max_macs", staticMacs = "static_macs", stormControlPPS = "storm_control_pps"
    }
    /// The network this port joins: an access port without one joins `default`.
    public var effectiveNetwork: String { network ?? NetworkConfig.defaultNetworkName }
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
