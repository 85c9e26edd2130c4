import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl fdb show|flush|add|del|stats`: the MAC tables.

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
