// API documents of packet tracing: a described packet through the pipeline (`/v1/actions/trace`) and live tracing (`/v1/actions/trace-live`).

/// One packet's way through the pipeline, stage by stage (`swivelctl trace`).
public struct TraceDoc: Codable, Equatable, Sendable {
    public struct Step: Codable, Equatable, Sendable {
        public var stage: String
        public var detail: String
        public init(stage: String, detail: String) { self.stage = stage; self.detail = detail }
    }
    public var port: String
    public var packet: String      // summary of the frame's headers
    public var hex: String         // the frame's first bytes
    public var steps: [Step]
    public var verdict: String     // "output to p2", "flood to p1, p3", "drop: hairpin"
    public init(port: String, packet: String, hex: String, steps: [Step], verdict: String) {
        self.port = port; self.packet = packet; self.hex = hex; self.steps = steps; self.verdict = verdict
    }
}

public struct TraceRequest: Codable, Sendable {
    public var port: String
    public var packet: String?     // field syntax, e.g. "eth_dst=…,ip_dst=10.2.0.5,tcp,tcp_dst=80"
    public var hex: String?
    public init(port: String, packet: String? = nil, hex: String? = nil) { self.port = port; self.packet = packet; self.hex = hex }
}

public struct LiveTraceRequest: Codable, Sendable {
    public var port: String
    public var count: Int
    public var filter: String?
    public var timeout: Double?
    public init(port: String, count: Int, filter: String? = nil, timeout: Double? = nil) {
        self.port = port; self.count = count; self.filter = filter; self.timeout = timeout
    }
}
