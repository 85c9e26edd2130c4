// Counters a stage reports beyond drops: one generic channel from the pipeline to `swivelctl stats`,
// `GET /v1/state/counters` and the metrics, so a new stage's counters reach the operator without a new
// document, request or command.

/// One counter of one stage, optionally per network or per port (the control plane puts names on ids).
public struct StageCounter: Sendable, Equatable {
    public enum Key: Sendable, Equatable {
        case none
        case network(UInt16)
        case port(UInt16)
    }
    public var stage: String
    public var name: String
    public var key: Key
    public var value: UInt64
    public init(stage: String, name: String, key: Key = .none, value: UInt64) {
        self.stage = stage; self.name = name; self.key = key; self.value = value
    }
}

/// A stage (or a service) with counters of its own. `reportCounters` runs on the datapath thread
/// between batches (a control request), so it may allocate; it must not walk large tables.
public protocol ReportsCounters {
    func reportCounters(into rows: inout [StageCounter])
}
