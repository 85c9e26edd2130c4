import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization
import SwivelControl
import SwivelRuntime

/// Prometheus exposition of the switch's counters (`swiveld --metrics-listen HOST:PORT`, `GET /metrics`).
/// The datapath keeps plain per-thread counters and is never touched by a scrape: the exporter asks for
/// a copy through the mailbox and advances swift-prometheus counters by the difference since the last
/// scrape, so every series stays a monotonic counter.
public final class MetricsExporter: Sendable {
    let registry = PrometheusCollectorRegistry()
    let runtime: SwitchRuntime
    /// Last value seen per series, to turn absolute datapath counters into increments.
    let seen = Mutex<[String: UInt64]>([:])

    public init(runtime: SwitchRuntime) { self.runtime = runtime }

    public func render() async throws -> String {
        let counters = try await runtime.counters()
        let drops = try await runtime.drops()
        for p in counters.ports {
            let labels = [("port", p.name), ("kind", p.kind), ("network", p.network)]
            advance("port_rx_packets", labels, p.rxPackets, help: "Frames received on the port.")
            advance("port_rx_bytes", labels, p.rxBytes, help: "Bytes received on the port.")
            advance("port_tx_packets", labels, p.txPackets, help: "Frames transmitted on the port.")
            advance("port_tx_bytes", labels, p.txBytes, help: "Bytes transmitted on the port.")
            advance("port_kernel_drops", labels, p.kernelDrops, help: "Frames the kernel dropped before the switch read them.")
            gauge("port_up", labels, help: "1 when the port is up.").set(to: p.state == "up" ? 1.0 : 0.0)
        }
        for d in drops {
            advance("port_drops", [("port", d.port), ("reason", d.reason)], d.count,
                    help: "Frames dropped, by port and reason.")
        }
        let pl = counters.pipeline
        advance("pipeline_batches", [], pl.batches, help: "Batches run through the pipeline.")
        advance("pipeline_packets", [], pl.packets, help: "Frames run through the pipeline.")
        advance("datapath_control_requests", [], pl.controlRequests ?? 0, help: "Control requests (reads and changes) the datapath ran between batches.")
        gauge("datapath_control_seconds", [], help: "Time the datapath spent on control requests since start.").set(to: pl.controlSeconds ?? 0)
        gauge("datapath_control_max_seconds", [], help: "The longest stretch of control requests between two batches since start.")
            .set(to: (pl.controlMaxMicroseconds ?? 0) / 1e6)
        for t in counters.tables {
            gauge("table_entries", [("table", t.name)], help: "Entries in use.").set(to: Double(t.entries))
            gauge("table_limit", [("table", t.name)], help: "Capacity of the table.").set(to: Double(t.limit))
        }
        // Counts kept up to date by the table itself: a scrape never walks the connection table.
        let ct = try await runtime.conntrackStats()
        for (state, n) in ct.byState {
            gauge("conntrack_entries", [("state", state)], help: "Tracked connections by state.").set(to: Double(n))
        }
        for (event, value, help) in [("created", ct.created, "Connections tracked."),
                                     ("expired", ct.expired, "Connections that timed out."),
                                     ("evicted", ct.evicted, "Connections evicted to make room (oldest not established)."),
                                     ("refused", ct.refused, "New connections refused: the table was full of established ones."),
                                     ("invalid", ct.invalid, "TCP packets that fit no connection state."),
                                     ("revoked", ct.revoked, "Connections ended by a rule change.")] {
            advance("conntrack_\(event)", [], value, help: help)
        }
        gauge("uptime_seconds", [], help: "Seconds since swiveld started.").set(to: counters.uptime)
        return registry.emitToString()
    }

    func gauge(_ name: String, _ labels: [(String, String)], help: String) -> Gauge {
        let d = MetricNameDescriptor(namespace: "swivel", metricName: name, unitName: "", helpText: help)
        return labels.isEmpty ? registry.makeGauge(descriptor: d) : registry.makeGauge(descriptor: d, labels: labels)
    }

    /// Advances the counter `swivel_<name>_total{labels}` to `value`.
    func advance(_ name: String, _ labels: [(String, String)], _ value: UInt64, help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = seen.withLock { seen -> UInt64 in
            let last = seen[key] ?? 0
            seen[key] = value
            return value >= last ? value - last : value   // a counter that restarted (port re-created)
        }
        let d = MetricNameDescriptor(namespace: "swivel", metricName: name, unitName: "total", helpText: help)
        let counter = labels.isEmpty ? registry.makeCounter(descriptor: d) : registry.makeCounter(descriptor: d, labels: labels)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    /// An HTTP server on TCP for Prometheus to scrape.
    public func makeApplication(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            let text = try await self.render()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "swiveld-metrics"),
                           onServerRunning: { _ in logger.info("metrics on http://\(host):\(port)/metrics") },
                           logger: logger)
    }
}
