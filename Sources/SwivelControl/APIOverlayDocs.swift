// API documents of the overlay: `GET /v1/state/overlay` (the VTEP and its networks).

/// `GET /v1/state/overlay`: this host as a VTEP, what each overlay network floods to, and how many remote
/// MACs the FDB knows behind each network and each remote VTEP.
public struct OverlayStateDoc: Codable, Equatable, Sendable {
    public struct Network: Codable, Equatable, Sendable {
        public var network: String
        public var vni: Int
        public var remoteVteps: [String]
        public var remoteMacs: Int
        public init(network: String, vni: Int, remoteVteps: [String], remoteMacs: Int) {
            self.network = network; self.vni = vni; self.remoteVteps = remoteVteps; self.remoteMacs = remoteMacs
        }
        enum CodingKeys: String, CodingKey { case network, vni, remoteVteps = "remote_vteps", remoteMacs = "remote_macs" }
    }
    public struct VTEP: Codable, Equatable, Sendable {
        public var vtep: String
        public var macs: Int
        public var staticMacs: Int
        public init(vtep: String, macs: Int, staticMacs: Int) { self.vtep = vtep; self.macs = macs; self.staticMacs = staticMacs }
        enum CodingKeys: String, CodingKey { case vtep, macs, staticMacs = "static_macs" }
    }
    public var configured: Bool
    public var localIP: String?
    public var udpPort: Int?
    public var device: String?
    public var state: String?
    public var innerMTU: Int?
    public var learn: Bool?
    public var ttl: Int?
    public var df: Bool?
    public var networks: [Network]
    public var vteps: [VTEP]
    public init(configured: Bool, networks: [Network] = [], vteps: [VTEP] = []) {
        self.configured = configured; self.networks = networks; self.vteps = vteps
    }
    enum CodingKeys: String, CodingKey {
        case configured, device, state, learn, ttl, df, networks, vteps
        case localIP = "local_ip", udpPort = "udp_port", innerMTU = "inner_mtu"
    }
}
