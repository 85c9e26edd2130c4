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

    @Option(name: .customLong("network"), help: "A network: NAME[,vlan=N][,vni=N[,remote_vteps=IP+IP]][,mtu=N][,subnet=CIDR[,gateway=IP]].")
    var networks: [String] = []

    @Option(name: .customLong("overlay"), help: "This host as a VXLAN endpoint: local_ip=IP[,device=DEV][,udp_port=N][,learn=true|false][,ttl=N][,df=true|false].")
    var overlay: String?

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

    @Option(name: .customLong("conntrack-max"), help: "Connections tracked at most (allocated at start; default 262144).")
    var conntrackMax: Int = 262_144

    @Option(name: .customLong("datapath-cpu"), help: "Run the datapath thread alone on this CPU (every other thread of swiveld is kept off it).")
    var datapathCPU: Int?

    @Flag(name: .customLong("conntrack-loose"), help: "Pick up TCP connections mid-stream (after a restart) instead of dropping them as invalid.")
    var conntrackLoose = false

    @Option(help: "API socket path.")
    var socket: String = "/run/swivel/swiveld.sock"

    @Option(name: .customLong("socket-group"), help: "A group allowed to use the API socket (default: root only).")
    var socketGroup: String?

    @Option(name: .customLong("state-file"), help: "Where the applied state is kept across restarts ('none': not kept).")
    var stateFile: String = "/var/lib/swivel/state.yaml"

    @Flag(name: .customLong("state-file-recover"), help: "When the state file holds objects this version refuses: load the others, write the refused ones with their reasons to STATE.rejected-TIMESTAMP, and start (without it, swiveld exits 78).")
    var stateFileRecover = false

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464).")
    var metricsListen: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        // Everything swiveld creates is its own: the API socket is bound under this mask, so it is never
        // open to others between bind() and the chmod that sets its final mode (0600, or 0660 with
        // --socket-group); the state file is written 0600 anyway.
        umask(0o077)
        var logger = Logger(label: "swiveld")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let model: NetworkConfig
        let options: DatapathOptions
        let store = statePath.map(FileStateStore.init(path:))
        var storeRevision = 0
        do {
            (model, storeRevision) = try buildModel(store)
            options = try buildOptions()
        } catch let e as StateFileRefused {
            FileHandle.standardError.write(Data("swiveld: \(e)\n".utf8))
            throw ExitCode(78)   // EX_CONFIG
        } catch {
            FileHandle.standardError.write(Data("swiveld: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let runtime: SwitchRuntime
        do {
            runtime = try SwitchRuntime(config: model, options: options, store: store, storeRevision: storeRevision, logger: logger)
            // What was restored plus what the file and the command line say is now the applied state.
            do { try runtime.persistInitialState(model) } catch { logger.error("\(error)") }
        } catch let e as PortError {
            FileHandle.standardError.write(Data("swiveld: cannot open port \(e.port): \(e.reason)\n".utf8))
            throw ExitCode(2)
        }
        var services: [any Service] = []
        do {
            var group: gid_t?
            if let socketGroup {
                guard let g = getgrnam(socketGroup) else { throw ValidationError("--socket-group: no group named '\(socketGroup)'") }
                group = g.pointee.gr_gid
            }
            services.append(try APIServer.makeApplication(runtime: runtime, socketPath: socket, socketMode: group == nil ? 0o600 : 0o660,
                                                          socketGroup: group, logger: logger))
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
        // SIGHUP re-reads the config file (ConfigReloader: the file's objects only; a bad file changes nothing).
        let reloader = config.map { ConfigReloader(runtime: runtime, path: $0, logger: logger) }
        reloader?.handleSIGHUP()
        defer { reloader?.cancel() }
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

    var statePath: String? { stateFile == "none" ? nil : stateFile }

    /// The desired state at start (ModelSources: the store's objects, then the config file, then the command
    /// line) and the store's revision it was read at.
    func buildModel(_ store: FileStateStore?) throws -> (NetworkConfig, Int) {
        var restored: NetworkConfig? = nil
        var revision = 0
        if let store {
            do {
                (restored, revision) = try store.load()
            } catch {
                guard case .refused(let errors) = error else { throw error }
                guard stateFileRecover else { throw StateFileRefused(path: store.path, errors: errors.errors) }
                let (state, aside, count) = try store.recover()
                restored = state
                if let aside {
                    FileHandle.standardError.write(Data("swiveld: warning: \(count) object(s) of \(store.path) refused and set aside in \(aside); the rest is loaded\n".utf8))
                }
            }
        }
        var commandLine = NetworkConfig()
        for n in networks { commandLine.networks.append(try Shorthand.network(n)) }
        for r in routers { commandLine.routers.append(try Shorthand.router(r)) }
        for p in ports { commandLine.ports.append(try Shorthand.port(p)) }
        if let overlay { commandLine.overlay = try Shorthand.overlay(overlay) }
        let model = try ModelSources.merge(stored: restored, configFile: try config.map(ModelSources.readConfigFile), commandLine: commandLine,
                                           source: config ?? "command line")
        return (model, revision)
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
        guard (1...16_777_216).contains(conntrackMax) else { throw ValidationError("--conntrack-max must be 1-16777216") }
        o.connections = conntrackMax
        o.looseConntrack = conntrackLoose
        if let datapathCPU {
            let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
            guard datapathCPU >= 0, datapathCPU < cpus else { throw ValidationError("--datapath-cpu must be 0-\(cpus - 1)") }
            o.datapathCPU = datapathCPU
        }
        return o
    }
}

/// The state file holds what this version refuses: swiveld does not start on part of it unless told to.
struct StateFileRefused: Error, CustomStringConvertible {
    var path: String
    var errors: [ConfigError]
    var description: String {
        let shown = errors.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = errors.count > 20 ? "\n  … and \(errors.count - 20) more" : ""
        return "the state file \(path) has \(errors.count) problem(s) this version refuses:\n\(shown)\(more)\n"
            + "Start with --state-file-recover to load every valid object and set the others aside (with their reasons) in \(path).rejected-TIMESTAMP."
    }
}
