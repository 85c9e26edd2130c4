import Foundation
import SwivelControl
import SwivelYAML
import SwivelPacket

/// The network model from untrusted text: any YAML or JSON document either is refused with errors or
/// validates, and a document that validates survives the state file's round trip unchanged and compiles
/// and installs into a pipeline (`ModelInstallOracle`). The state recovery of any text yields a state the
/// validator accepts.
public enum ModelFuzzer {
    public static func run(_ data: [UInt8]) throws(PipelineFuzzer.Violation) {
        let text = String(decoding: data, as: UTF8.self)
        if let config = try? ConfigLoader.parse(text, file: "fuzz") {
            try roundTrip(config)
            try ModelInstallOracle.check(config)
        }
        if let config = try? JSONDecoder().decode(NetworkConfig.self, from: Data(data)),
           Validator.validate(config, file: "api").isEmpty {
            try roundTrip(config)
            try ModelInstallOracle.check(config)
        }
        let (recovered, _) = StateRecovery.recover(text, file: "fuzz")
        let errors = Validator.validate(recovered, file: "fuzz")
        if !errors.isEmpty {
            throw .init(description: "Violation: the recovered state does not validate: \(errors.first.map(\.description) ?? "")")
        }
    }

    /// What the state file (JSON) and `config show` (YAML) write, the reader reads back as the same model.
    static func roundTrip(_ config: NetworkConfig) throws(PipelineFuzzer.Violation) {
        let expected = normalized(config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(config) else { throw .init(description: "Violation: a valid model does not encode") }
        do {
            let back = try ConfigLoader.parse(String(decoding: json, as: UTF8.self), file: "state")
            if normalized(back) != expected { throw PipelineFuzzer.Violation(description: "Violation: the state file round trip changed the model") }
            let yaml = try ConfigWriter.yaml(config)
            if normalized(try ConfigLoader.parse(yaml, file: "show")) != expected {
                throw PipelineFuzzer.Violation(description: "Violation: the YAML round trip changed the model")
            }
        } catch let v as PipelineFuzzer.Violation {
            throw v
        } catch {
            throw .init(description: "Violation: a valid model was refused when read back: \(error)")
        }
    }

    /// The reader's defaults and spellings (a port's owner defaults to `config`; MACs are lower case).
    static func normalized(_ config: NetworkConfig) -> NetworkConfig {
        var c = config
        for i in c.ports.indices {
            if c.ports[i].owner == nil { c.ports[i].owner = NetworkConfig.defaultOwner }
            c.ports[i].staticMacs = c.ports[i].staticMacs?.map { $0.lowercased() }
            c.ports[i].addresses = c.ports[i].addresses?.map { PortAddress(mac: $0.mac.lowercased(), ips: $0.ips) }
        }
        for i in c.routers.indices {
            c.routers[i].networks = c.routers[i].networks.map { RouterAttachment(network: $0.network, address: $0.address, mac: $0.mac?.lowercased()) }
        }
        return c
    }
}

/// `swivelctl trace`'s packet descriptions: any text is refused with a reason or builds a frame.
public enum PacketSpecFuzzer {
    public static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        if let spec = try? PacketSpec.parse(text) { _ = spec.build() }
        if let frame = try? PacketSpec.parseHex(text) { _ = frame.count }
    }
}

/// What a container runtime hands the CNI plugin: the first byte splits the input into the network
/// configuration (stdin) and the environment (`K=V` lines). A call that passes the checks yields a port
/// name the API accepts and an interface name `ip` accepts.
public enum CNIFuzzer {
    public static func run(_ data: [UInt8]) throws(PipelineFuzzer.Violation) {
        guard let split = data.first else { return }
        let body = data.dropFirst()
        let cut = body.startIndex + min(Int(split) * 4, body.count)
        var environment: [String: String] = [:]
        for line in String(decoding: body[cut...], as: UTF8.self).split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { environment[String(kv[0])] = String(kv[1]) }
        }
        guard let config = try? NetConf.parse(Data(body[..<cut])) else { return }
        let env = CNIEnvironment(environment)
        guard (try? env.validate(config)) != nil else { return }
        if !TextFormat.interfaceName.accepts(env.ifname) {
            throw .init(description: "Violation: an interface name passed the checks: '\(env.ifname)'")
        }
        if !env.containerID.isEmpty && !TextFormat.name.accepts(env.portName) {
            throw .init(description: "Violation: a CNI port name the API refuses: '\(env.portName)'")
        }
        for g in env.securityGroups(config) where !TextFormat.name.accepts(g) {
            throw .init(description: "Violation: a security group name passed the checks: '\(g)'")
        }
    }
}
