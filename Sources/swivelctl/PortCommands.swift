import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl port show|add|del`: the switch's ports, their state, counters and drops.

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
