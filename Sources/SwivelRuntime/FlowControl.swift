import CSwivelLinux
import Foundation
import Synchronization
import Logging
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

// The flow table through the API: read in bounded slices (the datapath forwards between them), flushed.
extension SwitchRuntime {
    /// The flow table, at most `limit` flows after the slot `after`, read in bounded slices like
    /// `conntrack` (sorted within the page; `next` continues).
    public func flows(limit: Int = SwitchRuntime.pageLimit, after: Int = -1) async throws -> FlowsDoc {
        var flows: [FlowDoc] = []
        var cursor: Int? = after + 1
        var stats: FlowStatsDoc?
        while let start = cursor, flows.count < limit {
            let wanted = limit - flows.count
            // Copies of the rows on the datapath thread; the documents and their strings are made off it.
            let (rows, next, s, names): ([(FlowKey, FlowRecord)], Int?, FlowStatsDoc, FlowNames) = try await mailbox.send(ReadFlowSlice(start: start, wanted: wanted))
            let page = Self.flowDocs(rows, names)
            flows += page
            cursor = next
            stats = s
        }
        if stats == nil { stats = try await mailbox.send(ReadFlowStats()) }
        return FlowsDoc(flows: flows.sorted { ($0.inPort, $0.ethSrc, $0.ethDst) < ($1.inPort, $1.ethSrc, $1.ethDst) },
                        stats: stats!, next: cursor)
    }

    static func flowStats(_ dp: Datapath) -> FlowStatsDoc {
        let table = dp.pipeline.flows, s = table.stats
        return FlowStatsDoc(entries: table.table.count, limit: table.table.limit, created: s.created, hits: s.hits,
                            expired: s.expired, notRecorded: s.notRecorded, invalidations: s.changed + s.flushed)
    }

    /// What flow documents need besides the rows, taken on the datapath thread with them.
    struct FlowNames: Sendable {
        var now: UInt64
        var ports: [String?]
        var networks: [UInt16: String]
    }

    static func flowDocs(_ rows: [(FlowKey, FlowRecord)], _ names: FlowNames) -> [FlowDoc] {
        let now = names.now
        func portName(_ p: UInt16) -> String { (Int(p) < names.ports.count ? names.ports[Int(p)] : nil) ?? "#\(p)" }
        return rows.map { key, r -> FlowDoc in
            let action: String
            switch r.decision.action {
            case .output: action = "output:\(portName(r.decision.port))" + (r.decision.remote == 0 ? "" : "->\(IPv4Address.format(r.decision.remote))")
            case .flood: action = "flood"
            case .drop: action = "drop:\(DropReason(rawValue: r.decision.reason)?.name ?? "?")"
            case .route: action = "route"
            case .consumed: action = "consumed"
            }
            return FlowDoc(inPort: portName(key.inPort), network: names.networks[key.network] ?? "#\(key.network)",
                           ethSrc: key.source.description, ethDst: key.destination.description, actions: action,
                           packets: r.packets, bytes: r.bytes, ageSeconds: Double(now &- r.firstSeen) / 1e9,
                           idleSeconds: Double(now &- r.lastSeen) / 1e9, thread: 0,
                           remote: r.remote == 0 ? nil : IPv4Address.format(r.remote))
        }
    }

    public func flushFlows() async throws -> Int {
        try await mailbox.send(FlushFlows())
    }
}

/// Copies of the flow records in `SwitchRuntime.sliceSlots` slots from `start`, at most `wanted`; the slot to go on from, the table's counters and the names the documents need.
struct ReadFlowSlice: ControlRequest {
    let start: Int
    let wanted: Int
    func run(on dp: Datapath) -> ([(FlowKey, FlowRecord)], Int?, FlowStatsDoc, SwitchRuntime.FlowNames) {
        var rows: [(FlowKey, FlowRecord)] = []
        rows.reserveCapacity(min(wanted, SwitchRuntime.sliceSlots))
        let next = dp.pipeline.flows.table.forEach(from: start, slots: SwitchRuntime.sliceSlots) { _, key, record in
            rows.append((key, record))
            return rows.count < wanted
        }
        return (rows, next, SwitchRuntime.flowStats(dp), SwitchRuntime.FlowNames(now: dp.clock.nowNanos, ports: SwitchRuntime.portNames(dp), networks: dp.networkNames))
    }
}

/// The flow table's counters.
struct ReadFlowStats: ControlRequest {
    func run(on dp: Datapath) -> FlowStatsDoc {
        SwitchRuntime.flowStats(dp)
    }
}

/// Empties the flow table.
struct FlushFlows: ControlRequest {
    func run(on dp: Datapath) -> Int {
        dp.pipeline.flows.flush()
    }
}
