import ArgumentParser
import Foundation
import SwivelClient
import SwivelControl

// `swivelctl overlay show`: this host as a VXLAN tunnel endpoint.

struct OverlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "overlay", abstract: "This host as a VXLAN tunnel endpoint.",
                                                    subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The VTEP's settings and state, each overlay network's VNI and remote VTEPs, and the remote MACs known behind each VTEP.")
        @OptionGroup var connection: Connection
        func run() async throws {
            do {
                let (doc, _) = try await connection.get("/v1/state/overlay", as: OverlayStateDoc.self)
                if connection.json { try connection.printEncoded(doc); return }
                guard doc.configured else { print("no overlay configured (see Docs/overlay.md)"); return }
                print("VTEP \(doc.localIP ?? "?"):\(doc.udpPort ?? 0)\(doc.device.map { " on \($0)" } ?? ""): \(doc.state ?? "?"), inner MTU \(doc.innerMTU ?? 0), learn \(doc.learn ?? true), ttl \(doc.ttl ?? 64), df \(doc.df ?? true)")
                var networks = TextTable(headers: ["NETWORK", "VNI", "REMOTE VTEPS", "REMOTE MACS"], numeric: [1, 3])
                for n in doc.networks { networks.rows.append([n.network, "\(n.vni)", n.remoteVteps.joined(separator: ","), "\(n.remoteMacs)"]) }
                print(networks.render())
                if !doc.vteps.isEmpty {
                    var vteps = TextTable(headers: ["REMOTE VTEP", "MACS", "STATIC"], numeric: [1, 2])
                    for v in doc.vteps { vteps.rows.append([v.vtep, "\(v.macs)", "\(v.staticMacs)"]) }
                    print(vteps.render())
                }
            } catch { throw fail(error) }
        }
    }
}
