import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl flows dump|stats|flush`: the flow table.

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
