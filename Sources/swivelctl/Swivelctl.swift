import ArgumentParser
import Foundation
import SwivelControl

@main
struct Swivelctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swivelctl",
        abstract: "Operate a running swiveld: ports, the forwarding database, the flow table.",
        subcommands: [PortCommand.self, FDBCommand.self, FlowsCommand.self])
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

    func check(_ status: Int, _ body: Data) throws {
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode(APIErrorDoc.self, from: body))?.error.message
                ?? String(decoding: body, as: UTF8.self)
            throw APIClient.Failure(description: "swiveld answered \(status): \(message)")
        }
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
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Ports.", subcommands: [Show.self])

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
                    t.rows.append([p.name, p.kind, p.device, p.network, p.state, "\(p.rxPackets)", "\(p.rxBytes)",
                                   "\(p.txPackets)", "\(p.txBytes)", drops.isEmpty ? "-" : drops.joined(separator: ",")])
                }
                print(t.render())
            } catch { throw fail(error) }
        }
    }
}

struct FDBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fdb", abstract: "The forwarding database (MAC table).",
                                                    subcommands: [Show.self, Flush.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List learned and static MAC entries (like ovs-appctl fdb/show).")
        @OptionGroup var connection: Connection

        func run() async throws {
            do {
                let (fdb, raw) = try await connection.get("/v1/state/fdb", as: FDBDoc.self)
                if connection.json { connection.printJSON(raw); return }
                var t = TextTable(headers: ["PORT", "VLAN", "MAC", "AGE", "NETWORK", "TYPE"], numeric: [1, 3])
                for e in fdb.entries {
                    t.rows.append([e.port, "\(e.vlan)", e.mac, "\(e.age)", e.network, e.type])
                }
                print(t.render())
                print("\(fdb.stats.current) entries (limit \(fdb.stats.limit)); learned \(fdb.stats.learned), moved \(fdb.stats.moved), expired \(fdb.stats.expired), limit hits \(fdb.stats.limitHits)")
            } catch { throw fail(error) }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every learned entry.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do { connection.printJSON(try await connection.post("/v1/actions/fdb-flush")) } catch { throw fail(error) }
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
                var (doc, _) = try await connection.get("/v1/state/flows", as: FlowsDoc.self)
                doc.flows = doc.flows.filter { (port == nil || $0.inPort == port) && (network == nil || $0.network == network) }
                if let limit { doc.flows = Array(doc.flows.prefix(limit)) }
                if connection.json { try connection.printEncoded(doc); return }
                for f in doc.flows {
                    print("in_port=\(f.inPort),network=\(f.network),eth_src=\(f.ethSrc),eth_dst=\(f.ethDst) packets:\(f.packets), bytes:\(f.bytes), age:\(String(format: "%.1f", f.ageSeconds))s, idle:\(String(format: "%.1f", f.idleSeconds))s, thread:\(f.thread), actions:\(f.actions)")
                }
            } catch { throw fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Entries, hits, creations and expiries of the flow table.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (doc, _) = try await connection.get("/v1/state/flows", as: FlowsDoc.self)
                if connection.json { try connection.printEncoded(doc.stats); return }
                let s = doc.stats
                print("entries: \(s.entries) (limit \(s.limit))\ncreated: \(s.created)\nhits: \(s.hits)\nexpired: \(s.expired)\nnot recorded (table full): \(s.notRecorded)")
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
