import ArgumentParser
import Foundation
import SwivelControl
import NIOHTTP1
import SwivelClient

// `swivelctl drops` and `swivelctl stats`: drops by reason and the switch's counters.

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
        abstract: "Counters: per-port packet and bit rates, the pipeline's batches, table fill, each stage's own counters.",
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
        if let counters = b.stageCounters, !counters.isEmpty {
            // Every stage's own counters, with a rate where the previous sample has the same counter.
            var s = TextTable(headers: ["STAGE", "COUNTER", "NETWORK/PORT", "VALUE", "PER-SECOND"], numeric: [3, 4])
            for c in counters {
                let o = a.stageCounters?.first { $0.stage == c.stage && $0.name == c.name && $0.network == c.network && $0.port == c.port }
                s.rows.append([c.stage, c.name, c.network ?? c.port ?? "-", "\(c.value)",
                               String(format: "%.0f", Double(c.value &- (o?.value ?? c.value)) / dt)])
            }
            lines += ["", s.render()]
        }
        lines.append(String(format: "uptime %.0fs", b.uptime))
        return lines.joined(separator: "\n")
    }
}
