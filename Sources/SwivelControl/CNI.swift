import Foundation

/// What a container runtime hands the CNI plugin, read and checked here (platform-free, so the fuzzer
/// drives the same code): the network configuration on stdin and the `CNI_*` environment.

/// A CNI error result (spec section "Error"): code, msg, details.
public struct CNIError: Error, Sendable {
    public var code: Int
    public var msg: String
    public var details: String
    public init(code: Int, msg: String, details: String = "") { self.code = code; self.msg = msg; self.details = details }
}

/// The network configuration on stdin: the standard keys and Swivel's (`network`, `socket`, `mtu`,
/// `max_macs`, `security_groups`).
public struct NetConf {
    public var cniVersion: String
    public var name: String
    public var network: String
    public var socket: String
    public var mtu: Int?
    public var maxMacs: Int?
    public var securityGroups: [String]
    /// The `ipam` object as given, passed whole to a delegated IPAM plugin.
    public var ipam: [String: Any]?
    public var raw: [String: Any]

    public static func parse(_ data: Data) throws(CNIError) -> NetConf {
        guard let raw = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CNIError(code: 6, msg: "failed to decode the network configuration (expected a JSON object on stdin)")
        }
        return NetConf(cniVersion: raw["cniVersion"] as? String ?? "0.4.0", name: raw["name"] as? String ?? "",
                       network: raw["network"] as? String ?? NetworkConfig.defaultNetworkName,
                       socket: raw["socket"] as? String ?? "/run/swivel/swiveld.sock", mtu: raw["mtu"] as? Int,
                       maxMacs: raw["max_macs"] as? Int,
                       securityGroups: raw["security_groups"] as? [String] ?? [],
                       ipam: raw["ipam"] as? [String: Any], raw: raw)
    }
}

/// The `CNI_*` environment of one call.
public struct CNIEnvironment {
    public let environment: [String: String]
    public init(_ environment: [String: String]) { self.environment = environment }

    public var containerID: String { environment["CNI_CONTAINERID"] ?? "" }
    public var netns: String { environment["CNI_NETNS"] ?? "" }
    public var ifname: String { environment["CNI_IFNAME"] ?? "eth0" }

    /// The port's name in swiveld: derived from the attachment (container, interface), so DEL and GC find
    /// it from the attachment alone. The hash of the whole attachment keeps two containers whose ids share
    /// their first 12 characters apart.
    /// Interface names may hold '@' and '+', object names may not: those become '_' here (found by
    /// FuzzCNI: `CNI_IFNAME=@eth0` passed the plugin's checks and then the API refused the port); the hash,
    /// taken over the real name, keeps "a@b" and "a_b" apart.
    public var portName: String {
        let hex = String(attachmentHash, radix: 16)
        let ifnamePart = String(ifname.map { $0 == "@" || $0 == "+" ? "_" : $0 })
        return "cni-\(containerID.prefix(12))-\(String(repeating: "0", count: 8 - hex.count))\(hex)-\(ifnamePart)"
    }

    /// FNV-1a of "containerID/ifname": the port name's and the host veth's distinguishing part.
    public var attachmentHash: UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in "\(containerID)/\(ifname)".utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    /// `CNI_ARGS` ("K=V;K=V"), as the spec passes per-attachment arguments.
    public var args: [String: String] {
        var out: [String: String] = [:]
        for pair in (environment["CNI_ARGS"] ?? "").split(separator: ";") {
            // "K=" is K with an empty value (it must not vanish: SECURITY_GROUPS= is refused, not ignored).
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    /// The port's security groups: `SECURITY_GROUPS=a,b` in CNI_ARGS (this attachment's) when given,
    /// otherwise the network configuration's `security_groups`. An empty `SECURITY_GROUPS=` is refused
    /// (`validate`): a per-attachment argument may replace the groups, never strip them.
    public func securityGroups(_ config: NetConf) -> [String] {
        if let list = args["SECURITY_GROUPS"] { return list.split(separator: ",").map(String.init).filter { !$0.isEmpty } }
        return config.securityGroups
    }

    /// Checks what comes from the runtime before any of it reaches a command line, a path or the API:
    /// the interface name and container id (both end up in `ip` commands and the port's name), the IPAM
    /// type (a file name in CNI_PATH), and the per-attachment arguments.
    public func validate(_ config: NetConf) throws(CNIError) {
        if let name = environment["CNI_IFNAME"], !TextFormat.interfaceName.accepts(name) {
            throw CNIError(code: 4, msg: "CNI_IFNAME '\(name)' is not \(TextFormat.interfaceName.expectation)")
        }
        if let id = environment["CNI_CONTAINERID"], !id.isEmpty,
           id.utf8.count > 256 || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }) {
            throw CNIError(code: 4, msg: "CNI_CONTAINERID must be letters, digits, '_', '.' or '-' (at most 256)")
        }
        if let type = config.ipam?["type"] {
            guard let name = type as? String, TextFormat.name.accepts(name) else {
                throw CNIError(code: 7, msg: "ipam.type '\(type)' is not a plugin name (\(TextFormat.name.expectation))")
            }
        }
        let groups = securityGroups(config)
        if let list = args["SECURITY_GROUPS"], groups.isEmpty {
            throw CNIError(code: 7, msg: "SECURITY_GROUPS='\(list)' names no group: a CNI argument may replace the port's security groups, not remove them")
        }
        for g in groups where !TextFormat.name.accepts(g) {
            throw CNIError(code: 7, msg: "security group '\(g)' is not \(TextFormat.name.expectation)")
        }
        if let mtu = config.mtu, !(68...65535).contains(mtu) {
            throw CNIError(code: 7, msg: "mtu must be 68-65535, got \(mtu)")
        }
        if let maxMacs = config.maxMacs, !(1...16_777_216).contains(maxMacs) {
            throw CNIError(code: 7, msg: "max_macs must be 1-16777216, got \(maxMacs)")
        }
    }
}
