import Foundation
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

/// A request the control plane cannot satisfy, with the API error code it maps to.
public struct RequestError: Error, CustomStringConvertible, Sendable {
    public var code: APIErrorCode
    public var description: String
    /// Each problem of a refused document, with its path.
    public var errors: [ConfigError]
    public init(_ code: APIErrorCode, _ description: String, errors: [ConfigError] = []) {
        self.code = code; self.description = description; self.errors = errors
    }

    /// Refused requests name a missing object (404) or an invalid one (400).
    public var isNotFound: Bool { code.isNotFound }

    static func unicastMAC(_ text: String) throws(RequestError) -> MACAddress {
        guard let valid = MACText.validUnicast(text), let mac = MACAddress(valid) else {
            throw RequestError(.invalidMac, "'\(text)' is not a unicast MAC address")
        }
        return mac
    }
}

extension SwitchRuntime {
    /// Runs a described packet through the pipeline without effects and explains every stage.
    public func trace(_ request: TraceRequest) async throws -> TraceDoc {
        let bytes: [UInt8]
        do {
            if let hex = request.hex {
                guard hex.utf8.count <= 3 * 65_535 else { throw PacketSpec.Invalid(description: "a traced frame is at most 65535 bytes") }
                bytes = try PacketSpec.parseHex(hex)
            }
            else { bytes = try PacketSpec.parse(request.packet ?? "").build() }
        } catch { throw RequestError(.invalidPacket, "\(error)") }
        return try await mailbox.send(ExplainPacket(port: request.port, bytes: bytes))
    }

    /// Traces the next `count` real frames received on a port (matching a tcpdump filter), waiting up to
    /// `timeout` seconds for them; returns what was traced by then.
    public func liveTrace(_ request: LiveTraceRequest) async throws -> [TraceDoc] {
        guard (1...1000).contains(request.count) else { throw RequestError(.invalidCount, "count must be 1-1000") }
        let filter: PacketFilter?
        do { filter = try request.filter.map { try PacketFilter($0) } } catch { throw RequestError(.invalidFilter, "\(error)") }
        let id = Int.random(in: 1...Int.max)
        try await mailbox.send(StartLiveTrace(id: id, port: request.port, count: request.count, filter: filter))
        let deadline = Date().addingTimeInterval(min(max(request.timeout ?? 10, 0.1), 300))
        while true {
            let (docs, complete) = try await mailbox.send(ReadLiveTrace(id: id))
            if complete || Date() >= deadline {
                try await mailbox.send(StopLiveTrace(id: id))
                return docs
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    public static var pcapFileHeader: [UInt8] { CaptureSession.fileHeader() }

    /// Starts a capture; returns its id. Frames are drained with `drainCapture`.
    public func startCapture(port portName: String, direction: String, filter expression: String?, count: Int?,
                             mirrorTo: String?, writesFile: Bool) async throws -> Int {
        guard let dir = CaptureSession.Direction(rawValue: direction) else {
            throw RequestError(.invalidDirection, "direction must be rx, tx or both")
        }
        let filter: PacketFilter?
        do { filter = try expression.map { try PacketFilter($0) } } catch { throw RequestError(.invalidFilter, "\(error)") }
        let id = Int.random(in: 1...Int.max)
        try await mailbox.send(StartCapture(id: id, port: portName, direction: dir, filter: filter, mirrorTo: mirrorTo,
                                            writesFile: writesFile, count: count ?? Int.max))
        return id
    }

    /// Captured pcap records since the last drain, and whether the capture has taken all it should.
    public func drainCapture(_ id: Int) async throws -> (bytes: [UInt8], done: Bool, overflowed: Int) {
        try await mailbox.send(DrainCapture(id: id))
    }

    public func stopCapture(_ id: Int) async throws {
        try await mailbox.send(StopCapture(id: id))
    }
}

/// A described packet through the pipeline in dry-run mode: every stage's record, explained.
struct ExplainPacket: ControlRequest {
    let port: String
    let bytes: [UInt8]
    func run(on dp: Datapath) throws -> TraceDoc {
        let port = try dp.requirePort(self.port)
        guard let f = bytes.withUnsafeBytes({ dp.pool.make(bytes: $0, inPort: port.id, forReceive: false) }) else {
            throw RequestError(.busy, "no free frame to trace with")
        }
        let records = dp.pipeline.explain(f, now: dp.clock.nowNanos)
        return dp.describe(TracedPacket(inPort: port.id, bytes: bytes, records: records), traceOnly: true)
    }
}

/// Marks the next `count` frames a port receives (matching `filter`) for tracing; replaces any live trace.
struct StartLiveTrace: ControlRequest {
    let id: Int, port: String, count: Int
    let filter: PacketFilter?
    func run(on dp: Datapath) throws {
        dp.traceSession = TraceSession(id: id, port: try dp.requirePort(port).id, count: count, filter: filter)
    }
}

/// What live trace `id` has recorded, and whether it is complete (every frame marked and delivered).
struct ReadLiveTrace: ControlRequest {
    let id: Int
    func run(on dp: Datapath) -> ([TraceDoc], Bool) {
        guard let t = dp.traceSession, t.id == id else { return ([], true) }
        let done = t.remaining == 0 && t.order.allSatisfy { t.packets[$0]?.records.contains { $0.stage == 3 } ?? true }
        return (t.order.compactMap { t.packets[$0] }.map { dp.describe($0) }, done)
    }
}

/// Ends live trace `id` (if it is still the one running).
struct StopLiveTrace: ControlRequest {
    let id: Int
    func run(on dp: Datapath) { if dp.traceSession?.id == id { dp.traceSession = nil } }
}

/// Starts capturing a port's frames (to the API's pcap stream, a mirror port, or both).
struct StartCapture: ControlRequest {
    let id: Int, port: String
    let direction: CaptureSession.Direction
    let filter: PacketFilter?
    let mirrorTo: String?
    let writesFile: Bool
    let count: Int
    func run(on dp: Datapath) throws {
        let port = try dp.requirePort(self.port)
        let mirror = try mirrorTo.map { try dp.requirePort($0, role: "mirror port") }
        if mirror?.id == port.id { throw RequestError(.invalidMirror, "a port cannot mirror to itself") }
        dp.captures.append(CaptureSession(id: id, port: port.id, direction: direction, filter: filter, mirrorPort: mirror?.id,
                                          writesFile: writesFile, count: count))
    }
}

/// Takes the pcap records captured since the last drain.
struct DrainCapture: ControlRequest {
    let id: Int
    func run(on dp: Datapath) -> (bytes: [UInt8], done: Bool, overflowed: Int) {
        guard let c = dp.captures.first(where: { $0.id == id }) else { return ([], true, 0) }
        let bytes = c.pcap
        c.pcap.removeAll(keepingCapacity: true)
        return (bytes, c.isDone, c.overflowed)
    }
}

/// Ends capture `id`.
struct StopCapture: ControlRequest {
    let id: Int
    func run(on dp: Datapath) { dp.captures.removeAll { $0.id == id } }
}

extension Datapath {
    func port(named name: String) -> (any SwivelPorts.Port)? { activePorts.first { $0.name == name } }

    func requirePort(_ name: String, role: String = "port") throws(RequestError) -> any SwivelPorts.Port {
        guard let p = port(named: name) else { throw RequestError(.unknownPort, "no \(role) named '\(name)'") }
        return p
    }

    func requireNetwork(_ name: String) throws(RequestError) -> UInt16 {
        guard let id = networkNames.first(where: { $0.value == name })?.key else {
            throw RequestError(.unknownNetwork, "no network named '\(name)'")
        }
        return id
    }

    func portName(_ id: UInt16) -> String { ports.indices.contains(Int(id)) ? ports[Int(id)]?.name ?? "#\(id)" : "#\(id)" }

    /// Turns a traced packet's records into readable steps (control path: strings allowed here).
    /// `traceOnly`: the packet was described, not received, so nothing was learned or recorded.
    func describe(_ p: TracedPacket, traceOnly: Bool = false) -> TraceDoc {
        var steps: [TraceDoc.Step] = []
        var outputs: [String] = []
        var drop: String?
        var flooded = false
        func reason(_ r: UInt8) -> String { DropReason(rawValue: r)?.name ?? "reason \(r)" }
        var notedFlowRecord = false
        for r in p.records {
            let stage = Pipeline.stageNames.indices.contains(Int(r.stage)) ? Pipeline.stageNames[Int(r.stage)] : "stage \(r.stage)"
            if traceOnly && !notedFlowRecord && r.stage >= StageID.flowRecord && p.records.contains(where: { $0.stage == StageID.l2 }) {
                steps.append(.init(stage: Pipeline.stageNames[Int(StageID.flowRecord)], detail: "(trace only: no flow recorded)"))
                notedFlowRecord = true
            }
            switch r.stage {
            case StageID.parse:
                steps.append(.init(stage: stage, detail: r.verdict == .drop ? "drop: \(reason(r.reason))"
                    : "eth_src=\(r.source) eth_dst=\(r.destination) eth_type=0x\(String(r.etherType, radix: 16))"
                      + (r.vlan != 0 ? " vlan=\(r.vlan)" : "") + " length=\(r.count)"))
                if r.verdict == .drop { drop = reason(r.reason) }
            case StageID.vlan:
                let tag = r.count == 0 ? "untagged" : r.vlan == 0 ? "priority tag (vlan 0)" : "tag \(r.vlan)"
                steps.append(.init(stage: stage, detail: r.verdict == .drop ? "\(tag): drop: \(reason(r.reason))"
                    : "\(tag)\(r.count == 0 ? "" : " popped") -> network \(networkNames[r.network] ?? "#\(r.network)")"))
                if r.verdict == .drop { drop = reason(r.reason) }
            case StageID.portSecurity:
                steps.append(.init(stage: stage, detail: r.verdict == .drop ? "drop: \(reason(r.reason))"
                    : "\(r.source) and its addresses belong to \(portName(r.port))"))
                if r.verdict == .drop { drop = reason(r.reason) }
            case StageID.l2:
                let network = networkNames[r.network] ?? "#\(r.network)"
                let lookup: String
                switch r.lookup {
                case .hit: lookup = "fdb hit: \(r.destination) on \(portName(r.port))"
                case .miss: lookup = "fdb miss: \(r.destination) unknown"
                case .multicast: lookup = r.destination.isBroadcast ? "broadcast" : "multicast \(r.destination)"
                case .none: lookup = "no lookup"
                case .router: lookup = "\(r.destination) is a router interface"
                }
                let decision = r.verdict == .drop ? "drop: \(reason(r.reason))" : r.verdict == .flood ? "flood"
                    : r.lookup == .router ? "route" : "output to \(portName(r.port))"
                flooded = r.verdict == .flood
                let learn = traceOnly ? "(trace only: nothing learned)" : "learn \(r.source) on \(portName(p.inPort))"
                steps.append(.init(stage: stage, detail: "network \(network); \(learn); \(lookup) -> \(decision)"))
            case StageID.l3:
                let routing = pipeline.routing
                let router = Int(r.count) < routing.interfaces.count
                    ? routing.routerNames[Int(routing.interfaces[Int(r.count)].router)] : "routers"
                let network = networkNames[r.network] ?? "#\(r.network)"
                let detail: String
                switch r.verdict {
                case .drop: detail = "\(router): drop: \(reason(r.reason))"; drop = reason(r.reason)
                case .output: detail = "\(router): routed into network \(network) -> output to \(portName(r.port))"
                case .flood: detail = r.count == UInt32.max ? "ARP seen by the routers of network \(network)"
                    : "\(router): routed into network \(network) -> next hop's MAC not in the FDB: flood"
                case .continue: detail = "\(router): ARP handled, or waiting for the next hop's ARP reply"
                }
                flooded = r.verdict == .flood
                steps.append(.init(stage: stage, detail: detail))
            case StageID.flowRecord:
                steps.append(.init(stage: stage, detail: "flow now has \(r.count) packets"))
            case StageID.acl:
                let direction = r.count == 1 ? "into \(portName(r.port)) (ingress rules)" : "from \(portName(r.port)) (egress rules)"
                let outcome = ACLOutcome(rawValue: r.aclOutcome)?.name ?? "-"
                let rules = pipeline.securityGroups.table.rules
                let rule = Int(r.rule) < rules.count && r.aclOutcome != ACLOutcome.notIP.rawValue
                    && r.aclOutcome != ACLOutcome.malformed.rawValue && r.aclOutcome != ACLOutcome.fragment.rawValue
                    ? "; rule \(r.rule)" + (rules[Int(r.rule)].group.isEmpty ? " (\(rules[Int(r.rule)].text))"
                        : " (\(rules[Int(r.rule)].group)[\(rules[Int(r.rule)].index)]: \(rules[Int(r.rule)].text) \(rules[Int(r.rule)].action))")
                    : ""
                steps.append(.init(stage: stage, detail: "\(direction): \(outcome)\(rule)"
                    + (r.verdict == .drop ? " -> drop: \(reason(r.reason))" : " -> pass")))
                if r.verdict == .drop { drop = drop ?? reason(r.reason) }
            case StageID.vxlanDecap:
                steps.append(.init(stage: stage, detail: r.verdict == .drop
                    ? "from VTEP \(IPv4Address.format(r.remote)) vni \(r.vni): drop: \(reason(r.reason))"
                    : "from VTEP \(IPv4Address.format(r.remote)) vni \(r.vni) -> network \(networkNames[r.network] ?? "#\(r.network)"), VXLAN header removed"))
                if r.verdict == .drop { drop = reason(r.reason) }
            case StageID.vxlanEncap:
                let to = "vni \(r.vni) to VTEP \(IPv4Address.format(r.remote))"
                if r.verdict == .drop {
                    drop = drop ?? reason(r.reason)
                    steps.append(.init(stage: stage, detail: "\(to): drop: \(reason(r.reason))"))
                } else {
                    outputs.append("\(portName(r.port))->\(IPv4Address.format(r.remote))")
                    steps.append(.init(stage: stage, detail: "\(to): outer IPv4/UDP/VXLAN headers added, \(r.count) bytes on \(portName(r.port))"))
                }
            default:
                switch r.verdict {
                case .output:
                    outputs.append(portName(r.port))
                    steps.append(.init(stage: stage, detail: "send on \(portName(r.port))" + (r.vlan != 0 ? " tagged \(r.vlan)" : "")))
                case .drop:
                    drop = drop ?? reason(r.reason)
                    steps.append(.init(stage: stage, detail: "drop: \(reason(r.reason))" + (r.reason == DropReason.portDown.rawValue ? " (\(portName(r.port)))" : "")))
                case .flood: steps.append(.init(stage: stage, detail: "flood: no other port up in the network"))
                case .continue: break
                }
            }
        }
        let verdict: String
        if let drop, outputs.isEmpty { verdict = "drop: \(drop)" }
        else if flooded && outputs.isEmpty { verdict = "flood: no other port up in the network" }
        else if flooded || outputs.count > 1 { verdict = "flood to \(outputs.joined(separator: ", "))" }
        else if let only = outputs.first { verdict = "output to \(only)" }
        else { verdict = "no output" }
        return TraceDoc(port: portName(p.inPort), packet: summarize(p.bytes), hex: p.bytes.map { String(format: "%02x", $0) }.joined(),
                        steps: steps, verdict: verdict)
    }

    func summarize(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { raw -> String in
            guard let base = raw.baseAddress, case .success(let eth) = Ethernet.parse(base, length: raw.count) else { return "malformed frame" }
            var s = "\(eth.source) > \(eth.destination)" + (eth.vlan != 0 ? " vlan \(eth.vlan)" : "")
            let l3 = Int(eth.l3Offset)
            if eth.etherType == EtherType.ipv4, let ip = IPv4Header(base, at: l3, available: raw.count - l3), ip.version == 4,
               ip.headerLength >= 20, ip.headerLength <= raw.count - l3 {
                s += " \(IPv4Address.format(ip.source)) > \(IPv4Address.format(ip.destination))"
                let l4 = l3 + ip.headerLength
                let names: [UInt8: String] = [IPProtocol.tcp: "tcp", IPProtocol.udp: "udp", IPProtocol.icmp: "icmp"]
                s += " " + (names[ip.proto] ?? "proto \(ip.proto)")
                if (ip.proto == IPProtocol.tcp || ip.proto == IPProtocol.udp) && raw.count >= l4 + 4 {
                    s += " \(UInt16(raw[l4]) << 8 | UInt16(raw[l4 + 1])) > \(UInt16(raw[l4 + 2]) << 8 | UInt16(raw[l4 + 3]))"
                }
            } else if eth.etherType == EtherType.arp {
                s += " arp"
            } else {
                s += " eth_type 0x\(String(eth.etherType, radix: 16))"
            }
            return s
        }
    }
}
