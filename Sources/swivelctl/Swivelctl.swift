import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

@main
struct Swivelctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swivelctl",
        abstract: "Operate a running swiveld: ports, the forwarding database, flows, drops, counters, traces and captures.",
        subcommands: [ApplyCommand.self, ConfigCommand.self, PortCommand.self, FDBCommand.self, OverlayCommand.self, RouteCommand.self, NeighborCommand.self, FlowsCommand.self,
                      DropsCommand.self, StatsCommand.self, TraceCommand.self, CaptureCommand.self, ACLCommand.self,
                      ConntrackCommand.self])
}

struct Connection: ParsableArguments {
    @Option(help: "swiveld's API socket.")
    var socket: String = "/run/swivel/swiveld.sock"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> (T, Data) {
        let (status, body) = try await APIClient(socketPath: socket).request(.GET, path)
        try check(status, body)
        do {
            return (try JSONDecoder().decode(T.self, from: body), body)
        } catch {
            throw APIClient.Failure(description: "unexpected answer from swiveld for \(path): \(error)")
        }
    }

    func post(_ path: String) async throws -> Data {
        let (status, body) = try await APIClient(socketPath: socket).request(.POST, path)
        try check(status, body)
        return body
    }

    func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, as type: Answer.Type,
                                                  method: HTTPMethod = .POST) async throws -> (Answer, Data) {
        let (status, data) = try await APIClient(socketPath: socket).request(method, path, body: try JSONEncoder().encode(body))
        try check(status, data)
        do {
            return (try JSONDecoder().decode(Answer.self, from: data), data)
        } catch {
            throw APIClient.Failure(description: "unexpected answer from swiveld for \(path): \(error)")
        }
    }

    func check(_ status: Int, _ body: Data) throws {
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode(APIErrorDoc.self, from: body))?.error.message
                ?? String(decoding: body, as: UTF8.self)
            throw APIClient.Failure(description: "swiveld answered \(status): \(message)")
        }
    }

    /// Posts an action, checks the answer has the expected shape, and prints it.
    func act<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, answer: Answer.Type) async throws {
        let (_, raw) = try await post(path, body, as: answer)
        printJSON(raw)
    }

    func printEncoded<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    func printJSON(_ data: Data) {
        // Re-indent the server's compact JSON for people; scripts get stable, sorted keys either way.
        if let obj = try? JSONSerialization.jsonObject(with: data),
           let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]) {
            print(String(decoding: pretty, as: UTF8.self))
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("swivelctl: \(error)\n".utf8))
    return ExitCode(1)
}

struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Ports.", subcommands: [Show.self, Add.self, Del.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach a port (owner api unless --owner): kept across restarts, like a port of the config file.",
            discussion: "For a VM: --kind afpacket --device TAP attaches to the TAP QEMU opens; the port follows its carrier, down while the VM is off.")
        @OptionGroup var connection: Connection
        @Option(help: "The port's name (default: the device).") var name: String?
        @Option(help: "afpacket or tap.") var kind: String = "afpacket"
        @Option(help: "The interface (afpacket) or TAP name (tap).") var device: String
        @Option(help: "The network of an access port.") var network: String?
        @Option(help: "Whose port it is.") var owner: String = "api"
        func run() async throws {
            do {
                guard let k = PortKind(rawValue: kind) else { throw APIClient.Failure(description: "--kind is afpacket or tap") }
                let port = PortSpec(name: name ?? device, kind: k, device: device, network: network, owner: owner)
                let (plan, _) = try await connection.post("/v1/ports/\(port.name)", port, as: ApplyPlanDoc.self, method: .PUT)
                if connection.json { try connection.printEncoded(plan); return }
                print("applied: " + plan.summary)
            } catch { throw fail(error) }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Detach a port.")
        @OptionGroup var connection: Connection
        @Argument(help: "The port's name.") var name: String
        func run() async throws {
            do {
                let (status, body) = try await APIClient(socketPath: connection.socket).request(.DELETE, "/v1/ports/\(name)")
                try connection.check(status, body)
                let plan = try JSONDecoder().decode(ApplyPlanDoc.self, from: body)
                if connection.json { try connection.printEncoded(plan); return }
                print("applied: " + plan.summary)
            } catch { throw fail(error) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ports with state, counters and drops by reason.")
        @OptionGroup var connection: Connection

        func run() async throws {
            do {
                let (ports, raw) = try await connection.get("/v1/state/ports", as: [PortStateDoc].self)
                if connection.json { connection.printJSON(raw); return }
                var t = TextTable(headers: ["PORT", "KIND", "DEVICE", "NETWORK", "STATE", "RX-PKTS", "RX-BYTES",
                                            "TX-PKTS", "TX-BYTES", "DROPS"], numeric: [5, 6, 7, 8])
                for p in ports {
                    var drops = p.drops.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    if p.kernelDrops > 0 { drops.append("kernel=\(p.kernelDrops)") }
                    let network = p.mode == "trunk"
                        ? "trunk " + (p.vlans ?? [:]).sorted { $0.value < $1.value }.map { "\($0.key)/\($0.value)" }.joined(separator: ",")
                            + (p.native.map { " native \($0)" } ?? "")
                        : p.network + (p.addresses != nil ? " (secured)" : "")
                    t.rows.append([p.name, p.kind, p.device, network, p.state, "\(p.rxPackets)", "\(p.rxBytes)",
                                   "\(p.txPackets)", "\(p.txBytes)", drops.isEmpty ? "-" : drops.joined(separator: ",")])
                }
                print(t.render())
            } catch { throw fail(error) }
        }
    }
}

struct FDBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fdb", abstract: "The forwarding database (MAC table).",
                                                    subcommands: [Show.self, Flush.self, Add.self, Del.self, Stats.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List learned and static MAC entries (like ovs-appctl fdb/show).")
        @OptionGroup var connection: Connection
        @Option(help: "Only entries of this network.") var network: String?
        @Option(help: "Only entries on this port.") var port: String?

        func run() async throws {
            do {
                var (fdb, _) = try await connection.get("/v1/state/fdb", as: FDBDoc.self)
                fdb.entries = fdb.entries.filter { (network == nil || $0.network == network) && (port == nil || $0.port == port) }
                if connection.json { try connection.printEncoded(fdb); return }
                let remotes = fdb.entries.contains { $0.remote != nil }
                var t = TextTable(headers: ["PORT", "VLAN", "MAC", "AGE", "NETWORK", "TYPE"] + (remotes ? ["REMOTE VTEP"] : []), numeric: [1, 3])
                for e in fdb.entries {
                    t.rows.append([e.port, "\(e.vlan)", e.mac, "\(e.age)", e.network, e.type] + (remotes ? [e.remote ?? "-"] : []))
                }
                print(t.render())
                print("\(fdb.stats.current) entries (limit \(fdb.stats.limit)); learned \(fdb.stats.learned), moved \(fdb.stats.moved), expired \(fdb.stats.expired), limit hits \(fdb.stats.limitHits)")
            } catch { throw fail(error) }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove learned entries: all, or those of a network and/or a port (static entries stay).")
        @OptionGroup var connection: Connection
        @Option(help: "Only entries of this network.") var network: String?
        @Option(help: "Only entries on this port.") var port: String?
        func run() async throws {
            do { try await connection.act("/v1/actions/fdb-flush", FDBFlushRequest(network: network, port: port), answer: [String: Int].self) } catch { throw fail(error) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a MAC to a port, or behind a remote VTEP: a static entry never ages and never moves.",
            discussion: "swivelctl fdb add --network blue --mac 02:00:00:00:00:02 --remote 192.0.2.2 sends blue's frames for that MAC to VTEP 192.0.2.2 instead of flooding them.")
        @OptionGroup var connection: Connection
        @Option(help: "The network.") var network: String = "default"
        @Option(help: "The port (not with --remote).") var port: String?
        @Option(help: "A remote VTEP (IPv4): the MAC is behind it, on the overlay.") var remote: String?
        @Option(help: "The MAC address.") var mac: String
        func validate() throws {
            if (port == nil) == (remote == nil) { throw ValidationError("give --port or --remote") }
        }
        func run() async throws {
            do {
                try await connection.act("/v1/actions/fdb-add", FDBEntryRequest(network: network, port: port, mac: mac, remote: remote),
                                         answer: FDBEntryRequest.self)
            } catch { throw fail(error) }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an entry, static or learned.")
        @OptionGroup var connection: Connection
        @Option(help: "The network.") var network: String = "default"
        @Option(help: "The MAC address.") var mac: String
        func run() async throws {
            do { try await connection.act("/v1/actions/fdb-del", FDBEntryRequest(network: network, mac: mac), answer: [String: Int].self) } catch { throw fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Entries, limits and what happened to them, per network.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (fdb, _) = try await connection.get("/v1/state/fdb", as: FDBDoc.self)
                let s = fdb.stats
                if connection.json { try connection.printEncoded(s); return }
                print("current \(s.current) (table capacity \(s.limit)), static \(s.staticEntries), learned \(s.learned), expired \(s.expired), "
                      + "flushed \(s.flushed), moved \(s.moved), limit hits \(s.limitHits) (network) \(s.portLimitHits) (port), "
                      + "static moves refused \(s.staticMovesRefused)")
                var t = TextTable(headers: ["NETWORK", "ENTRIES", "LIMIT", "AGING"], numeric: [1, 2, 3])
                for n in s.networks { t.rows.append([n.network, "\(n.entries)", "\(n.limit)", "\(n.agingSeconds)s"]) }
                print(t.render())
            } catch { throw fail(error) }
        }
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a config file: replaces the objects that owner has (default config), keeps everyone else's.",
        discussion: "The file is checked here first (errors name the file, line and column), then the whole resulting state is validated by swiveld; nothing changes when anything is wrong.")
    @OptionGroup var connection: Connection
    @Option(name: .shortAndLong, help: "The YAML (or JSON) file in the network model.") var file: String
    @Option(help: "Whose objects the file replaces.") var owner: String = "config"
    @Flag(name: .customLong("dry-run"), help: "Only print what would change.") var dryRun = false

    func run() async throws {
        let document: NetworkConfig
        do {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw APIClient.Failure(description: "cannot read \(file)") }
            // What the switch already has may be referred to (a port joining a network another owner made).
            let (running, _) = try await connection.get("/v1/config", as: NetworkConfig.self)
            document = try ConfigLoader.parse(text, file: file, existing: running)
        } catch { throw fail(error) }
        do {
            let query = "/v1/config?owner=\(owner)" + (dryRun ? "&dry_run=1" : "")
            let (plan, _) = try await connection.post(query, document, as: ApplyPlanDoc.self, method: .PUT)
            if connection.json { try connection.printEncoded(plan); return }
            print((dryRun ? "would change: " : "applied: ") + plan.summary)
        } catch { throw fail(error) }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "The running desired state.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the running state as YAML (or --json) that can be applied again unchanged.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (config, _) = try await connection.get("/v1/config", as: NetworkConfig.self)
                if connection.json { try connection.printEncoded(config); return }
                print(try ConfigWriter.yaml(config), terminator: "")
            } catch { throw fail(error) }
        }
    }
}

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "Routers' routing tables.",
                                                    subcommands: [Show.self, Add.self, Del.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Routes per router: prefix, next hop, network, source (connected or static).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this router's routes.") var router: String?
        func run() async throws {
            do {
                var (routes, _) = try await connection.get("/v1/state/routes", as: [RouteDoc].self)
                routes = routes.filter { router == nil || $0.router == router }
                if connection.json { try connection.printEncoded(routes); return }
                var t = TextTable(headers: ["ROUTER", "PREFIX", "NEXT-HOP", "NETWORK", "VIA-ADDRESS", "SOURCE"])
                for r in routes { t.rows.append([r.router, r.prefix, r.nextHop, r.network, r.interfaceAddress, r.source]) }
                print(t.render())
            } catch { throw fail(error) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a static route to a router (until restart).")
        @OptionGroup var connection: Connection
        @Option(help: "The router.") var router: String
        @Option(help: "The destination prefix, e.g. 10.9.0.0/16 or 0.0.0.0/0.") var to: String
        @Option(help: "The next hop, on a subnet the router is attached to.") var via: String
        func run() async throws {
            do { try await connection.act("/v1/actions/route-add", RouteRequest(router: router, to: to, via: via), answer: RouteRequest.self) } catch { throw fail(error) }
        }
    }

    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a static route from a router (until restart).")
        @OptionGroup var connection: Connection
        @Option(help: "The router.") var router: String
        @Option(help: "The destination prefix.") var to: String
        func run() async throws {
            do { try await connection.act("/v1/actions/route-del", RouteRequest(router: router, to: to), answer: [String: Int].self) } catch { throw fail(error) }
        }
    }
}

struct NeighborCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "neighbor", abstract: "Routers' neighbour (ARP) tables.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Addresses the routers resolved: MAC, state, age, packets waiting.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this router's neighbours.") var router: String?
        func run() async throws {
            do {
                var (neighbors, _) = try await connection.get("/v1/state/neighbors", as: [NeighborDoc].self)
                neighbors = neighbors.filter { router == nil || $0.router == router }
                if connection.json { try connection.printEncoded(neighbors); return }
                var t = TextTable(headers: ["ROUTER", "NETWORK", "ADDRESS", "MAC", "STATE", "AGE", "WAITING"], numeric: [5, 6])
                for n in neighbors {
                    t.rows.append([n.router, n.network, n.address, n.mac, n.state, String(format: "%.0fs", n.ageSeconds), "\(n.waiting)"])
                }
                print(t.render())
            } catch { throw fail(error) }
        }
    }
}

struct FlowsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flows", abstract: "The datapath's flow table.",
                                                    subcommands: [Dump.self, Stats.self, Flush.self])

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per active flow: match, actions, packets, bytes, age, idle.")
        @OptionGroup var connection: Connection
        @Option(help: "Only flows entering on this port.") var port: String?
        @Option(help: "Only flows of this network.") var network: String?
        @Option(help: "At most this many flows.") var limit: Int?

        func run() async throws {
            do {
                // The server pages large tables; follow `next` until the end (or the limit).
                var (doc, _) = try await connection.get("/v1/state/flows", as: FlowsDoc.self)
                while let next = doc.next, limit.map({ doc.flows.count < $0 }) ?? true {
                    let (more, _) = try await connection.get("/v1/state/flows?after=\(next)", as: FlowsDoc.self)
                    doc.flows += more.flows
                    doc.next = more.next
                    doc.stats = more.stats
                }
                doc.flows = doc.flows.filter { (port == nil || $0.inPort == port) && (network == nil || $0.network == network) }
                if let limit { doc.flows = Array(doc.flows.prefix(limit)) }
                if connection.json { try connection.printEncoded(doc); return }
                for f in doc.flows {
                    print("in_port=\(f.inPort)\(f.remote.map { ",tun_src=\($0)" } ?? ""),network=\(f.network),eth_src=\(f.ethSrc),eth_dst=\(f.ethDst) packets:\(f.packets), bytes:\(f.bytes), age:\(String(format: "%.1f", f.ageSeconds))s, idle:\(String(format: "%.1f", f.idleSeconds))s, thread:\(f.thread), actions:\(f.actions)")
                }
            } catch { throw fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Entries, hits, creations and expiries of the flow table.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (doc, _) = try await connection.get("/v1/state/flows?limit=1", as: FlowsDoc.self)
                if connection.json { try connection.printEncoded(doc.stats); return }
                let s = doc.stats
                print("entries: \(s.entries) (limit \(s.limit))\nhits: \(s.hits)\nmisses: \(s.misses) (new flows \(s.created), not recorded because the table was full \(s.notRecorded))\n"
                      + String(format: "hit rate: %.1f%%", s.hitRate * 100)
                      + "\nexpired (idle): \(s.expired)\ninvalidations (decision changed or flushed): \(s.invalidations)")
            } catch { throw fail(error) }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Empty the flow table.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do { connection.printJSON(try await connection.post("/v1/actions/flows-flush")) } catch { throw fail(error) }
        }
    }
}

struct DropsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drops",
                                                    abstract: "Non-zero drop reasons per port, with counts and when each was last seen.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port.") var port: String?

    func run() async throws {
        do {
            var (drops, _) = try await connection.get("/v1/state/drops", as: [DropDoc].self)
            if let port { drops = drops.filter { $0.port == port } }
            if connection.json { try connection.printEncoded(drops); return }
            if drops.isEmpty { print("no drops"); return }
            var t = TextTable(headers: ["PORT", "REASON", "COUNT", "LAST-SEEN"], numeric: [2])
            for d in drops { t.rows.append([d.port, d.reason, "\(d.count)", ago(d.lastSeen)]) }
            print(t.render())
        } catch { throw fail(error) }
    }
}

func ago(_ seconds: Double) -> String {
    // The server's number, so no trap on whatever it says (infinity, NaN, 1e300).
    guard seconds.isFinite, seconds < 1e12 else { return "long ago" }
    return seconds < 1 ? "now" : seconds < 120 ? "\(Int(seconds))s ago" : seconds < 7200 ? "\(Int(seconds / 60))m ago" : "\(Int(seconds / 3600))h ago"
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counters: per-port packet and bit rates, the pipeline's batches, table fill.",
        discussion: "Rates are measured over --interval seconds; --watch keeps refreshing like top.")
    @OptionGroup var connection: Connection
    @Flag(help: "Refresh until interrupted.") var watch = false
    @Option(help: "Seconds between the two samples a rate is computed from (0.1-3600).") var interval: Double = 1

    func validate() throws {
        guard interval.isFinite, (0.1...3600).contains(interval) else { throw ValidationError("--interval must be 0.1-3600 seconds") }
    }

    func run() async throws {
        do {
            var (previous, _) = try await connection.get("/v1/state/counters", as: CountersDoc.self)
            if connection.json && !watch { try connection.printEncoded(previous); return }
            repeat {
                try await Task.sleep(nanoseconds: UInt64(interval * 1e9))   // 0.1-3600 s: validate()
                let (current, _) = try await connection.get("/v1/state/counters", as: CountersDoc.self)
                if watch { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(render(previous, current))
                previous = current
            } while watch
        } catch { throw fail(error) }
    }

    func render(_ a: CountersDoc, _ b: CountersDoc) -> String {
        let dt = max(0.001, b.uptime - a.uptime)
        var t = TextTable(headers: ["PORT", "STATE", "RX-PPS", "RX-MBPS", "TX-PPS", "TX-MBPS", "RX-PKTS", "TX-PKTS", "DROPS"],
                          numeric: [2, 3, 4, 5, 6, 7, 8])
        for p in b.ports {
            let o = a.ports.first { $0.id == p.id }
            func rate(_ x: UInt64, _ y: UInt64?) -> Double { Double(x &- (y ?? x)) / dt }
            t.rows.append([p.name, p.state,
                           String(format: "%.0f", rate(p.rxPackets, o?.rxPackets)),
                           String(format: "%.1f", rate(p.rxBytes, o?.rxBytes) * 8 / 1e6),
                           String(format: "%.0f", rate(p.txPackets, o?.txPackets)),
                           String(format: "%.1f", rate(p.txBytes, o?.txBytes) * 8 / 1e6),
                           "\(p.rxPackets)", "\(p.txPackets)", "\(p.drops.values.reduce(0, +))"])
        }
        let pl = b.pipeline
        let perBatch = pl.batches == 0 ? 0 : Double(pl.packets) / Double(pl.batches)
        let batchRate = Double(pl.batches &- a.pipeline.batches) / dt
        var lines = [t.render(), ""]
        lines.append("pipeline \(pl.stages.joined(separator: " -> ")): \(pl.batches) batches, \(pl.packets) packets, "
                     + String(format: "%.1f packets/batch (largest %d), %.0f batches/s", perBatch, pl.largestBatch, batchRate))
        lines.append(b.tables.map { "\($0.name) \($0.entries)/\($0.limit)" }.joined(separator: ", "))
        lines.append(String(format: "uptime %.0fs", b.uptime))
        return lines.joined(separator: "\n")
    }
}

struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show each pipeline stage's decision for a packet.",
        subcommands: [Packet.self, Live.self], defaultSubcommand: Packet.self)

    static func show(_ doc: TraceDoc) {
        print("packet on \(doc.port): \(doc.packet)")
        for s in doc.steps { print("  \(s.stage.padding(toLength: 14, withPad: " ", startingAt: 0)) \(s.detail)") }
        print("  \("verdict".padding(toLength: 14, withPad: " ", startingAt: 0)) \(doc.verdict)")
    }

    struct Packet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "packet",
            abstract: "Run a described packet through the real pipeline without sending it (nothing is learned or counted).",
            discussion: """
                Fields: eth_src, eth_dst, vlan, eth_type, ip, ip_src, ip_dst, tcp, udp, icmp, arp, tcp_src, tcp_dst,
                udp_src, udp_dst. Example: swivelctl trace --port c1 'eth_dst=02:00:00:00:00:02,ip_dst=10.2.0.5,tcp,tcp_dst=80'
                """)
        @OptionGroup var connection: Connection
        @Option(help: "The port the packet enters on.") var port: String
        @Option(help: "The frame as hex bytes instead of fields.") var hex: String?
        @Argument(help: "The packet's fields, comma-separated.") var fields: String = ""

        func run() async throws {
            do {
                let (doc, raw) = try await connection.post("/v1/actions/trace", TraceRequest(port: port, packet: fields, hex: hex), as: TraceDoc.self)
                if connection.json { connection.printJSON(raw) } else { TraceCommand.show(doc) }
            } catch { throw fail(error) }
        }
    }

    struct Live: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trace the next real packets received on a port (optionally only those matching a tcpdump filter).")
        @OptionGroup var connection: Connection
        @Option(help: "The port to watch.") var port: String
        @Option(help: "How many packets to trace (1-1000).") var count: Int = 1
        @Option(help: "A tcpdump filter expression.") var filter: String?
        @Option(help: "Seconds to wait for the packets.") var timeout: Double = 10

        func run() async throws {
            do {
                let request = LiveTraceRequest(port: port, count: count, filter: filter, timeout: timeout)
                let (docs, raw) = try await connection.post("/v1/actions/trace-live", request, as: [TraceDoc].self)
                if connection.json { connection.printJSON(raw); return }
                if docs.isEmpty { print("no matching packet on \(port) within \(timeout)s") }
                for (i, d) in docs.enumerated() {
                    if i > 0 { print() }
                    TraceCommand.show(d)
                }
            } catch { throw fail(error) }
        }
    }
}

struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Write a port's frames to a pcap file (tcpdump and tshark read it), or mirror them to another port.",
        discussion: "Stops after --count frames, after --duration seconds, or on Ctrl-C.")
    @OptionGroup var connection: Connection
    @Option(help: "The port to capture.") var port: String
    @Option(help: "rx, tx or both.") var direction: String = "both"
    @Option(help: "A tcpdump filter expression.") var filter: String?
    @Option(name: .customShort("w"), help: "The pcap file to write ('-' for standard output).") var file: String?
    @Option(help: "Stop after this many frames.") var count: Int?
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(name: .customLong("mirror-to"), help: "Also copy matching frames to this port (for an external analyser).") var mirrorTo: String?

    func validate() throws {
        if file == nil && mirrorTo == nil { throw ValidationError("give -w FILE, --mirror-to PORT, or both") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        var query = [("port", port), ("direction", direction)]
        if let filter { query.append(("filter", filter)) }
        if let count { query.append(("count", String(count))) }
        if let duration { query.append(("duration", String(duration))) }
        if let mirrorTo { query.append(("mirror_to", mirrorTo)) }
        if file == nil { query.append(("write", "0")) }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        let path = "/v1/capture?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
            .joined(separator: "&")
        do {
            let sink: FileHandle
            if let file, file != "-" {
                guard FileManager.default.createFile(atPath: file, contents: nil), let h = FileHandle(forWritingAtPath: file) else {
                    throw APIClient.Failure(description: "cannot write \(file)")
                }
                sink = h
            } else {
                sink = FileHandle.standardOutput
            }
            let (status, body) = try await APIClient(socketPath: connection.socket).request(.GET, path, sink: sink)
            try connection.check(status, body)
        } catch { throw fail(error) }
    }
}
