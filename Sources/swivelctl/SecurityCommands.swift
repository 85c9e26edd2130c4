import ArgumentParser
import Foundation
import SwivelClient
import SwivelControl

// `swivelctl acl show` and `swivelctl conntrack show|stats|flush`: security-group rules with their hits, and tracked connections.

struct ACLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "acl", abstract: "Security-group rules as the datapath runs them.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rules with ids and hits (new connections each rule decided), and the ports each group guards.")
        @OptionGroup var connection: Connection
        @Option(help: "Only the rules that apply to this port.") var port: String?
        func run() async throws {
            do {
                let path = "/v1/state/acl" + (port.map { "?port=" + queryEscaped($0) } ?? "")
                let (doc, _) = try await connection.get(path, as: ACLDoc.self)
                if connection.json { try connection.printEncoded(doc); return }
                var ports = TextTable(headers: ["PORT", "SECURITY GROUPS", "TUPLES"], numeric: [2])
                for p in doc.ports { ports.rows.append([p.port, p.groups.joined(separator: ","), "\(p.classifierTuples)"]) }
                print(ports.render())
                print("")
                var rules = TextTable(headers: ["ID", "GROUP", "#", "DIRECTION", "PRIORITY", "ACTION", "RULE", "HITS"], numeric: [0, 4, 7])
                for r in doc.rules {
                    let priority = r.group.isEmpty ? (r.priority < 0 ? (r.priority == -1 ? "implicit" : "default") : "-") : "\(r.priority)"
                    rules.rows.append(["\(r.id)", r.group.isEmpty ? "(built-in)" : r.group, r.index < 0 ? "-" : "\(r.index)",
                                       r.direction, priority, r.action, r.rule, "\(r.hits)"])
                }
                print(rules.render())
            } catch { throw fail(error) }
        }
    }
}

struct ConntrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conntrack", abstract: "Tracked connections.",
                                                    subcommands: [Show.self, Stats.self, Flush.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per tracked connection, in each guarded port's zone.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this port's connections.") var port: String?
        @Option(help: "Only connections in this state (syn-sent, syn-received, established, fin-wait, time-wait, closed, new, replied).")
        var state: String?
        @Option(help: "At most this many.") var limit = 10_000
        @Option(help: "Only connections after this id (the last id of the previous page, with --json).") var after: Int?
        func run() async throws {
            do {
                var query = ["limit=\(limit)"]
                if let after { query.append("after=\(after)") }
                if let port { query.append("port=" + queryEscaped(port)) }
                if let state { query.append("state=" + queryEscaped(state)) }
                let (conns, _) = try await connection.get("/v1/state/conntrack?" + query.joined(separator: "&"), as: [ConnectionDoc].self)
                if connection.json { try connection.printEncoded(conns); return }
                var t = TextTable(headers: ["PORT", "ORIGIN", "PROTO", "SOURCE", "DESTINATION", "STATE", "RULE", "PACKETS", "BYTES",
                                            "AGE", "EXPIRES"], numeric: [6, 7, 8])
                for c in conns {
                    let ports = c.protocol == "tcp" || c.protocol == "udp"
                    t.rows.append([c.port, c.origin, c.protocol,
                                   c.source + (ports ? ":\(c.sourcePort)" : ""), c.destination + (ports ? ":\(c.destinationPort)" : ""),
                                   c.state, "\(c.rule)", "\(c.packets[0])/\(c.packets[1])", "\(c.bytes[0])/\(c.bytes[1])",
                                   String(format: "%.0fs", c.age), String(format: "%.0fs", c.expiresIn)])
                }
                print(t.render())
            } catch { throw fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Table fill, connections by state, and what ended or refused them.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (s, _) = try await connection.get("/v1/state/conntrack-stats", as: ConntrackStatsDoc.self)
                if connection.json { try connection.printEncoded(s); return }
                let states = s.byState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("""
                    entries: \(s.entries) of \(s.capacity)\(states.isEmpty ? "" : " (\(states))")
                    created: \(s.created)
                    expired: \(s.expired)
                    evicted (table full, oldest not established): \(s.evicted)
                    refused (table full of established): \(s.refused)
                    invalid (no matching TCP state): \(s.invalid)
                    revoked (rule change): \(s.revoked)
                    flushed: \(s.flushed)
                    related icmp errors: \(s.related)
                    fragments followed: \(s.fragmentsFollowed)
                    lookups: \(s.lookups), hits: \(s.hits)
                    loose tcp pick-up: \(s.loose ? "on" : "off")
                    """)
            } catch { throw fail(error) }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End tracked connections (their next packets are classified as new).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this port's connections.") var port: String?
        func run() async throws {
            do {
                let (_, raw) = try await connection.post("/v1/actions/conntrack-flush", ConntrackFlushRequest(port: port),
                                                         as: [String: Int].self)
                connection.printJSON(raw)
            } catch { throw fail(error) }
        }
    }
}

func queryEscaped(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}
