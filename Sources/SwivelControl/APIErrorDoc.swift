// The body of every refused API request: its code, its message and, for a document, each problem with its path.

/// Every code a refused request can carry: a closed set, listed as the `code` enum of `Error` in
/// Docs/openapi.yaml (a test compares them), so that clients (swivelctl, the CNI plugin) decide on codes
/// and never on message text. A code whose name starts with `unknown-` answers 404; the others 400.
public enum APIErrorCode: String, Codable, CaseIterable, Sendable {
    /// an address the document pins to a port is already another port's (a client may pick another and retry)
    case addressInUse = "address-in-use"
    /// the datapath did not answer in time
    case busy = "busy"
    /// the running state kept changing while the request was applied; try again
    case conflict = "conflict"
    /// an IP address that does not parse or is not allowed here
    case invalidAddress = "invalid-address"
    /// the body is not JSON, has an unknown key, a null, or a value of the wrong type
    case invalidBody = "invalid-body"
    /// the document (or the state it would make) breaks a validation rule; `errors` lists each with its path
    case invalidConfig = "invalid-config"
    /// a count out of range
    case invalidCount = "invalid-count"
    /// a direction other than rx, tx or both
    case invalidDirection = "invalid-direction"
    /// a capture filter that does not compile
    case invalidFilter = "invalid-filter"
    /// a MAC address that does not parse or is not unicast
    case invalidMac = "invalid-mac"
    /// a mirror target that cannot take the copies
    case invalidMirror = "invalid-mirror"
    /// a route's next hop on no network of its router
    case invalidNextHop = "invalid-next-hop"
    /// a packet description or hex frame that does not parse
    case invalidPacket = "invalid-packet"
    /// a query parameter that does not parse or is out of range
    case invalidParameter = "invalid-parameter"
    /// a port that cannot take the request
    case invalidPort = "invalid-port"
    /// a CIDR prefix that does not parse
    case invalidPrefix = "invalid-prefix"
    /// a remote VTEP address that does not parse
    case invalidRemote = "invalid-remote"
    /// a connection state name that does not exist
    case invalidState = "invalid-state"
    /// a request that needs a port named none
    case missingPort = "missing-port"
    /// a static route to that prefix exists already
    case routeExists = "route-exists"
    /// the state file could not be written (the change was applied)
    case stateFile = "state-file"
    /// the table has no room for the entry
    case tableFull = "table-full"
    /// more networks than the datapath has ids for
    case tooManyNetworks = "too-many-networks"
    /// more ports than the datapath has ids for
    case tooManyPorts = "too-many-ports"
    /// no such FDB entry
    case unknownEntry = "unknown-entry"
    /// no network of that name
    case unknownNetwork = "unknown-network"
    /// no port of that name
    case unknownPort = "unknown-port"
    /// no static route to that prefix
    case unknownRoute = "unknown-route"
    /// no router of that name
    case unknownRouter = "unknown-router"
    /// no security group of that name
    case unknownSecurityGroup = "unknown-security-group"
    /// no object of that name (of a kind without a code of its own)
    case unknownObject = "unknown-object"

    public var isNotFound: Bool { rawValue.hasPrefix("unknown-") }

    /// The code for a missing object of a kind the model names ("network", "router", "port", "security group").
    public static func unknown(_ kind: String) -> APIErrorCode {
        switch kind {
        case "network": .unknownNetwork
        case "router": .unknownRouter
        case "port": .unknownPort
        case "security group": .unknownSecurityGroup
        default: .unknownObject
        }
    }
}

public struct APIErrorDoc: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var code: APIErrorCode
        public var message: String
        /// Where the (first) problem is, as a path into the document ("networks.blue.vlan").
        public var path: String?
        /// Every problem of a refused document.
        public var errors: [Detail]?
    }
    public struct Detail: Codable, Sendable {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
    }
    public var error: Body
    public init(code: APIErrorCode, message: String, path: String? = nil, errors: [Detail]? = nil) {
        error = Body(code: code, message: message, path: path, errors: errors)
    }
}
