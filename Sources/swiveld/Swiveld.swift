import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SwivelAPI
import SwivelControl
import SwivelPorts
import SwivelRuntime

@main
struct Swiveld: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiveld",
        abstract: "The Swivel userspace virtual switch daemon.",
        discussion: """
            Ports given on the command line join the network 'default' unless they name one:
              swiveld --port afpacket:veth1 --port tap:tap0
              swiveld --network blue --port afpacket:veth1,network=blue
            A command-line port that cannot be opened stops start-up (exit code 2).
            """)

    @Option(name: .customLong("port"), help: "A port: KIND:DEVICE[,network=N | ,trunk=A+B[,native=N]][,mac=M[,ips=IP+IP]][,name=P], KIND is afpacket or tap.")
    var ports: [String] = []

    @Option(name: .customLong("network"), help: "A network: NAME[,vlan=N][,mtu=N][,subnet=CIDR[,gateway=IP]].")
    var networks: [String] = []

    @Option(name: .customLong("router"), help: "A router: NAME,networks=A+B[,route=PREFIX@VIA].")
    var routers: [String] = []

    @Option(help: "YAML config file in the Swivel network model (Docs/config.md).")
    var config: String?

    @Option(name: .customLong("io-engine"), help: "AF_PACKET receive engine: \(IOEngine.allCases.map(\.rawValue).joined(separator: ", ")).")
    var ioEngine: String = IOEngine.default.rawValue

    @Option(name: .customLong("batch-size"), help: "Frames per batch (1-256).")
    var batchSize: Int = 64

    @Option(name: .customLong("ring-block-timeout"), help: "TPACKET_V3 block retire timeout in ms (ring-v3 engine).")
    var ringBlockTimeout: UInt32 = 1

    @Option(help: "API socket path.")
    var socket: String = "/run/swivel/swiveld.sock"

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464).")
    var metricsListen: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "swiveld")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let model: NetworkConfig
        let options: DatapathOptions
        do {
            model = try buildModel()
            options = try buildOptions()
        } catch {
            FileHandle.standardError.write(Data("swiveld: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let runtime: SwitchRuntime
        do {
            runtime = try SwitchRuntime(config: model, options: options, logger: logger)
        } catch let e as PortError {
            FileHandle.standardError.write(Data("swiveld: cannot open port \(e.port): \(e.reason)\n".utf8))
            throw ExitCode(2)
        }
        var services: [any Service] = []
        do {
            services.append(try APIServer.makeApplication(runtime: runtime, socketPath: socket, logger: logger))
            if let metricsListen {
                guard let colon = metricsListen.lastIndex(of: ":"), let port = Int(metricsListen[metricsListen.index(after: colon)...]),
                      (1...65535).contains(port) else {
                    throw ValidationError("--metrics-listen takes HOST:PORT, got '\(metricsListen)'")
                }
                let host = String(metricsListen[..<colon])
                services.append(MetricsExporter(runtime: runtime).makeApplication(host: host, port: port, logger: logger))
            }
        } catch {
            FileHandle.standardError.write(Data("swiveld: \(error)\n".utf8))
            runtime.stop()
            throw ExitCode(2)
        }
        runtime.start()
        logger.info("swiveld running: \(model.ports.count) ports, io engine \(options.engine.rawValue), batch \(options.batchSize)")
        defer {
            runtime.stop()
            try? FileManager.default.removeItem(atPath: socket)
            logger.info("swiveld stopped")
        }
        // Returns on SIGTERM or SIGINT (graceful shutdown of the servers), then the datapath stops.
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    func buildModel() throws -> NetworkConfig {
        var model = NetworkConfig()
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw ConfigErrors([ConfigError(file: config, path: "", reason: "cannot read the file")])
            }
            model = try ConfigLoader.parse(text, file: config)
        }
        for n in networks { model.networks.append(try Shorthand.network(n)) }
        for r in routers { model.routers.append(try Shorthand.router(r)) }
        for p in ports { model.ports.append(try Shorthand.port(p)) }
        let errors = Validator.validate(model, file: config ?? "command line")
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return model
    }

    func buildOptions() throws -> DatapathOptions {
        var o = DatapathOptions()
        guard let engine = IOEngine(rawValue: ioEngine) else {
            throw ValidationError("unknown --io-engine '\(ioEngine)' (expected one of: \(IOEngine.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be 1-256") }
        o.engine = engine
        o.batchSize = batchSize
        o.ringBlockTimeoutMs = max(1, ringBlockTimeout)
        return o
    }
}
