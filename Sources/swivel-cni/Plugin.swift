import Foundation
import NIOHTTP1
import SwivelClient
import SwivelControl
import SwivelAddress

extension CNIError {
    /// The error result on stdout (spec section "Error"), and a line on stderr.
    func report(version: String) {
        let doc: [String: Any] = ["cniVersion": version, "code": code, "msg": msg, "details": details]
        if let data = try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]) {
            FileHandle.standardOutput.write(data)
        }
        FileHandle.standardError.write(Data("swivel-cni: \(msg) \(details)\n".utf8))
    }
}

struct Plugin {
    let config: NetConf
    let environment: [String: String]
    var containerID: String { arguments.containerID }
    var netns: String { arguments.netns }
    var ifname: String { arguments.ifname }
    var client: APIClient { APIClient(socketPath: config.socket) }

    /// The runtime's environment, read and checked (SwivelControl's CNIEnvironment, which the fuzzer drives).
    var arguments: CNIEnvironment { CNIEnvironment(environment) }
    var cniArgs: [String: String] { arguments.args }
    var securityGroups: [String] { arguments.securityGroups(config) }
    func validate() throws { try arguments.validate(config) }

    var portName: String { arguments.portName }
    /// MACs a CNI port may learn unless the network configuration says `max_macs` (port security pins
    /// the container's own; a few more allow for a nested bridge without letting one container fill
    /// the network's table).
    static let defaultMaxMACs = 4
    var attachmentHash: UInt32 { arguments.attachmentHash }
    var hostDevice: String { "swc" + String(format: "%08x", attachmentHash) }
    /// The container interface's MAC, chosen here (locally administered, from the attachment) so the
    /// plugin knows it without asking the kernel.
    var containerMAC: String {
        let h = attachmentHash
        return String(format: "0a:5c:%02x:%02x:%02x:%02x", h >> 24, (h >> 16) & 0xFF, (h >> 8) & 0xFF, h & 0xFF)
    }

    func require(_ keys: [String]) throws {
        for k in keys where (environment[k] ?? "").isEmpty { throw CNIError(code: 4, msg: "\(k) is not set") }
    }

    // MARK: commands

    func add() async throws {
        try require(["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"])
        let desired = try await desiredState()
        guard desired.networks.contains(where: { $0.name == config.network }) || config.network == NetworkConfig.defaultNetworkName else {
            throw CNIError(code: 7, msg: "swiveld has no network '\(config.network)'")
        }
        for g in securityGroups where !desired.securityGroups.contains(where: { $0.name == g }) {
            throw CNIError(code: 7, msg: "swiveld has no security group '\(g)'")
        }
        // The veth pair is made inside the container's namespace and the host end moved out, so the
        // container's interface never appears in the host namespace.
        // One `ip -batch` inside the namespace (and one outside) per step: every process spawned costs
        // milliseconds, and the plugin runs once per attach.
        let mtu = config.mtu.map { " mtu \($0)" } ?? ""
        let mac = containerMAC
        try ipBatch(namespace: true, ["link add \(ifname)\(mtu) address \(mac) type veth peer name \(hostDevice)\(mtu) netns 1"])
        do {
            try ipBatch(namespace: false, ["link set \(hostDevice) up"])
            let lease = try await attach(mac: mac, desired: desired)
            try ipBatch(namespace: true, ["addr add \(lease.cidr) dev \(ifname)", "link set \(ifname) up"]
                        + (lease.gateway.map { ["route replace default via \($0) dev \(ifname)"] } ?? []))
            var result: [String: Any] = [
                "cniVersion": config.cniVersion,
                "interfaces": [["name": hostDevice], ["name": ifname, "mac": mac, "sandbox": netns]],
                "ips": [["address": lease.cidr, "interface": 1].merging(lease.gateway.map { ["gateway": $0] } ?? [:]) { a, _ in a }],
                "routes": lease.gateway.map { [["dst": "0.0.0.0/0", "gw": $0]] } ?? [],
                "dns": [String: Any](),
            ]
            if config.cniVersion == "0.4.0" {
                result["ips"] = (result["ips"] as? [[String: Any]])?.map { $0.merging(["version": "4"]) { a, _ in a } }
            }
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]))
        } catch {
            _ = try? run("ip", ["link", "del", hostDevice])
            try? await releaseDelegated()
            throw error
        }
    }

    /// Idempotent: succeeds when the port, the veth or the namespace is already gone.
    func del() async throws {
        try require(["CNI_CONTAINERID", "CNI_IFNAME"])
        // By the attachment recorded in the labels: that also finds ports an older plugin named otherwise.
        let name = (try? await desiredState())?.ports.first { isOurs($0) && $0.labels?["cni.dev/containerID"] == containerID
            && $0.labels?["cni.dev/ifname"] == ifname }?.name ?? portName
        let (status, body) = try await call(.DELETE, "/v1/ports/\(name)")
        guard status == 200 || status == 404 else { throw CNIError(code: 11, msg: "swiveld refused to remove \(name)", details: body) }
        _ = try? run("ip", ["link", "del", hostDevice])   // gone already is fine
        try await releaseDelegated()
    }

    func check() async throws {
        try require(["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"])
        let (status, body) = try await call(.GET, "/v1/ports/\(portName)")
        guard status == 200, let port = try? JSONDecoder().decode(PortSpec.self, from: Data(body.utf8)) else {
            throw CNIError(code: 11, msg: "port \(portName) is not attached to swiveld")
        }
        let addresses = try run("nsenter", ["--net=\(netns)", "ip", "-o", "-4", "addr", "show", "dev", ifname])
        for ip in port.addresses?.first?.ips ?? [] where !addresses.contains(" \(ip)/") {
            throw CNIError(code: 11, msg: "\(ifname) in \(netns) does not have \(ip)")
        }
        guard (try? run("ip", ["link", "show", hostDevice])) != nil else { throw CNIError(code: 11, msg: "host interface \(hostDevice) is gone") }
        guard Set(port.securityGroups ?? []) == Set(securityGroups) else {
            throw CNIError(code: 11, msg: "port \(portName) has security groups \(port.securityGroups ?? []), expected \(securityGroups)")
        }
    }

    /// Error 50 ("the plugin is not available") while swiveld does not answer.
    func status() async throws {
        guard let (code, _) = try? await call(.GET, "/v1/health"), code == 200 else {
            throw CNIError(code: 50, msg: "swiveld is not answering on \(config.socket)")
        }
    }

    /// Removes the `cni` ports of this network whose attachment (recorded in the port's labels) is not
    /// in `cni.dev/attachments`, with their host veths, and releases a delegated IPAM's leases for them.
    func gc() async throws {
        let valid = Set(((config.raw["cni.dev/attachments"] as? [[String: Any]]) ?? []).map {
            "\($0["containerID"] as? String ?? "")/\($0["ifname"] as? String ?? "")"
        })
        let desired = try await desiredState()
        // Only this configuration's ports: another configuration on the same network has its own GC.
        for port in desired.ports where isOurs(port) {
            let container = port.labels?["cni.dev/containerID"] ?? "", ifname = port.labels?["cni.dev/ifname"] ?? ""
            guard !valid.contains("\(container)/\(ifname)") else { continue }
            let (status, body) = try await call(.DELETE, "/v1/ports/\(port.name)")
            guard status == 200 || status == 404 else { throw CNIError(code: 11, msg: "cannot remove \(port.name)", details: body) }
            _ = try? run("ip", ["link", "del", port.device])
            if (config.ipam?["type"] as? String ?? "swivel") != "swivel", !container.isEmpty {
                let stale = Plugin(config: config, environment: environment.merging(["CNI_CONTAINERID": container, "CNI_IFNAME": ifname]) { _, b in b })
                try await stale.releaseDelegated()
            }
        }
    }

    /// A port this network configuration attached (owner `cni`, its network, its configuration's name).
    func isOurs(_ port: PortSpec) -> Bool {
        port.owner == "cni" && port.untaggedNetwork == config.network && port.labels?["cni.dev/network-name"] == config.name
    }

    /// Allocates an address and attaches the host end as a port secured to the container's MAC and that
    /// address. With the built-in IPAM two attaches at once may pick the same address: swiveld refuses the
    /// second (an address belongs to one port), which then picks again.
    func attach(mac: String, desired first: NetworkConfig) async throws -> Lease {
        var desired = first
        for attempt in 0..<8 {
            let lease = try await allocate(desired: desired)
            var port = PortSpec(name: portName, kind: .afpacket, device: hostDevice, network: config.network, owner: "cni")
            port.labels = ["cni.dev/containerID": containerID, "cni.dev/ifname": ifname, "cni.dev/network-name": config.name]
            port.addresses = [PortAddress(mac: mac, ips: [lease.address])]
            port.maxMacs = config.maxMacs ?? Self.defaultMaxMACs
            if !securityGroups.isEmpty { port.securityGroups = securityGroups }
            // The name is derived from the attachment; a port of that name for another attachment is a
            // collision to refuse, never to overwrite.
            if let existing = desired.ports.first(where: { $0.name == portName }),
               existing.labels?["cni.dev/containerID"] != containerID || existing.labels?["cni.dev/ifname"] != ifname {
                throw CNIError(code: 11, msg: "port \(portName) already belongs to another attachment")
            }
            let (status, answer) = try await call(.PUT, "/v1/ports/\(portName)", body: try JSONEncoder().encode(port))
            if status == 200 { return lease }
            try await releaseDelegated()
            let refusal = try? JSONDecoder().decode(APIErrorDoc.self, from: Data(answer.utf8))
            guard refusal?.error.code == .addressInUse, attempt < 7 else {
                throw CNIError(code: 11, msg: "swiveld refused the port", details: answer)
            }
            desired = try await desiredState()
        }
        throw CNIError(code: 11, msg: "could not attach \(portName)")
    }

    // MARK: IPAM

    struct Lease { var address: String; var cidr: String; var gateway: String? }

    /// The built-in IPAM (`"ipam": {"type": "swivel"}` or no ipam): the lowest address of the network's
    /// first subnet that is not its gateway and not held by a port. The port's `addresses` are the lease,
    /// so removing the port releases it and nothing can leak. Any other type is delegated.
    func allocate(desired: NetworkConfig) async throws -> Lease {
        let type = config.ipam?["type"] as? String ?? "swivel"
        if type != "swivel" { return try await delegate("ADD") }
        guard let subnet = desired.networks.first(where: { $0.name == config.network })?.subnets?.first,
              let prefix = IPv4Prefix(subnet.cidr), prefix.length <= 30 else {
            throw CNIError(code: 7, msg: "network '\(config.network)' has no subnet to allocate from")
        }
        var taken = Set(desired.ports.flatMap { $0.addresses ?? [] }.flatMap { $0.ips ?? [] }.compactMap(IPv4Address.parse))
        if let g = subnet.gateway.flatMap(IPv4Address.parse) { taken.insert(g) }
        // Routers' addresses in this network (an attachment may name one other than the gateway).
        for r in desired.routers {
            for a in r.networks where a.network == config.network { if let ip = a.address.flatMap(IPv4Address.parse) { taken.insert(ip) } }
        }
        let first = prefix.network + 1, last = prefix.network | ~prefix.mask - 1
        guard let free = (first...last).first(where: { !taken.contains($0) }) else {
            throw CNIError(code: 7, msg: "no free address in \(subnet.cidr)")
        }
        let text = IPv4Address.format(free)
        return Lease(address: text, cidr: "\(text)/\(prefix.length)", gateway: subnet.gateway)
    }

    /// Runs the IPAM plugin named in the config (found in CNI_PATH) with the same environment and config,
    /// in a spec version it speaks (asked with VERSION).
    func delegate(_ command: String) async throws -> Lease {
        let type = config.ipam?["type"] as? String ?? ""
        guard let path = (environment["CNI_PATH"] ?? "").split(separator: ":").map({ "\($0)/\(type)" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CNIError(code: 2, msg: "IPAM plugin '\(type)' not found in CNI_PATH")
        }
        var conf = config.raw
        let versions = (try? JSONSerialization.jsonObject(with: Data(try exec(path, command: "VERSION", stdin: conf).utf8))) as? [String: Any]
        let theirs = versions?["supportedVersions"] as? [String] ?? []
        let version = ["1.1.0", "1.0.0", "0.4.0"].first { theirs.contains($0) && supportedVersions.contains($0) } ?? config.cniVersion
        conf["cniVersion"] = version
        let out = try exec(path, command: command, stdin: conf)
        guard command == "ADD" else { return Lease(address: "", cidr: "", gateway: nil) }
        guard let result = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any],
              let ip = (result["ips"] as? [[String: Any]])?.first, let cidr = ip["address"] as? String else {
            throw CNIError(code: 999, msg: "IPAM plugin '\(type)' answered without an address", details: out)
        }
        return Lease(address: String(cidr.split(separator: "/")[0]), cidr: cidr, gateway: ip["gateway"] as? String)
    }

    func releaseDelegated() async throws {
        let type = config.ipam?["type"] as? String ?? "swivel"
        if type != "swivel" { _ = try await delegate("DEL") }
    }

    // MARK: plumbing

    func desiredState() async throws -> NetworkConfig {
        let (status, body) = try await call(.GET, "/v1/config")
        guard status == 200, let config = try? JSONDecoder().decode(NetworkConfig.self, from: Data(body.utf8)) else {
            throw CNIError(code: 11, msg: "swiveld answered \(status) for its configuration", details: body)
        }
        return config
    }

    func call(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (Int, String) {
        do {
            let (status, data) = try await client.request(method, path, body: body)
            return (status, String(decoding: data, as: UTF8.self))
        } catch {
            throw CNIError(code: 11, msg: "cannot reach swiveld at \(config.socket)", details: "\(error)")
        }
    }

    /// Runs `ip -batch -` with these commands, in the container's namespace or the host's.
    func ipBatch(namespace: Bool, _ commands: [String]) throws {
        let tool = namespace ? ["nsenter", "--net=\(netns)", "ip"] : ["ip"]
        try run(tool[0], Array(tool.dropFirst()) + ["-batch", "-"], input: commands.joined(separator: "\n") + "\n")
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CNIError(code: 11, msg: "\(tool) \(arguments.joined(separator: " ")) failed", details: error.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }

    func exec(_ path: String, command: String, stdin: [String: Any]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        var env = environment
        env["CNI_COMMAND"] = command
        p.environment = env
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        try p.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: stdin))
        try input.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CNIError(code: 999, msg: "IPAM plugin failed on \(command)", details: text) }
        return text
    }
}
