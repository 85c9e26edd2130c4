import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl trace` (a described packet, or live traffic) and `swivelctl capture` (pcap of a port's frames).

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
