import SwivelControl
import SwivelPacket
import SwivelPipeline

// MARK: security groups and connection tracking, for the API

extension SwitchRuntime {
    /// Rules with their hits, and which groups guard which port. With `port`, only the rules that apply to it.
    public func acl(port: String? = nil) async throws -> ACLDoc {
        try await mailbox.send(ReadACL(port: port))
    }

    /// Tracked connections, optionally of one port and in one state, after the slot `after` (-1: from the start), at most `limit`. The table is read
    /// in slices of `SwitchRuntime.sliceSlots` slots, one mailbox request each, so the datapath forwards
    /// between slices however large the table is; page on with `after` = the last entry's `id`.
    public func conntrack(port: String? = nil, state: String? = nil, limit: Int = 10_000, after: Int = -1) async throws -> [ConnectionDoc] {
        if let state, !ConnState.allCases.contains(where: { $0.name == state && $0 != .free }) {
            throw RequestError(.invalidState, "unknown connection state '\(state)' (expected one of: \(ConnState.allCases.filter { $0 != .free }.map(\.name).joined(separator: ", ")))")
        }
        let wantedState = state.flatMap { name in ConnState.allCases.first { $0.name == name } }
        var out: [ConnectionDoc] = []
        var cursor: Int? = after + 1
        while let start = cursor, out.count < limit {
            let wanted = limit - out.count
            // On the datapath thread only copies of the entries (plain structs); the documents, with their
            // strings, are made here, off it.
            let (raw, next, context): ([(Int, Connection)], Int?, ConnectionContext) = try await mailbox.send(ReadConnectionSlice(port: port, state: wantedState, start: start, wanted: wanted))
            out += raw.map { Self.connectionDoc($0.1, slot: $0.0, context) }
            cursor = next
        }
        return out
    }

    /// Slots read per mailbox request when a table is dumped (a few hundred microseconds of datapath time).
    public static let sliceSlots = 16_384
    /// The most entries one page of a dump may ask for.
    public static let pageLimit = 100_000

    /// What a connection's document needs besides the entry: taken on the datapath thread with the slice.
    struct ConnectionContext: Sendable {
        var now: UInt64
        var timeouts: ConnTimeouts
        var portNames: [String?]
    }

    static func portNames(_ dp: Datapath) -> [String?] { dp.ports.map { $0?.name } }

    static func connectionDoc(_ c: Connection, slot: Int, _ context: ConnectionContext) -> ConnectionDoc {
        let now = context.now
        let proto = c.original.proto
        let name = proto == IPProtocol.tcp ? "tcp" : proto == IPProtocol.udp ? "udp" : proto == IPProtocol.icmp ? "icmp" : "\(proto)"
        let timeout = Double(context.timeouts.seconds(c.state))
        let idle = Double(now &- c.lastSeen) / 1e9
        let zone = c.zone.id
        let portName = (zone < context.portNames.count ? context.portNames[zone] : nil) ?? "#\(zone)"
        var doc = ConnectionDoc(port: portName, protocol: name,
                                source: c.original.sourceText, destination: c.original.destinationText,
                                sourcePort: Int(c.original.sourcePort), destinationPort: Int(c.original.destinationPort),
                                state: c.state.name, origin: c.origin == 0 ? "egress" : "ingress", rule: Int(c.rule),
                                packets: [c.packets.0, c.packets.1], bytes: [c.bytes.0, c.bytes.1],
                                age: Double(now &- c.created) / 1e9, idle: idle, expiresIn: max(0, timeout - idle))
        doc.id = slot
        return doc
    }

    public func conntrackStats() async throws -> ConntrackStatsDoc {
        try await mailbox.send(ReadConntrackStats())
    }

    /// Ends tracked connections (all, or one port's). Their next packets are classified again as new.
    public func flushConntrack(port: String? = nil) async throws -> Int {
        try await mailbox.send(FlushConntrack(port: port))
    }
}

/// Security-group rules with their hits, and which groups guard which port (all ports, or `port`'s).
struct ReadACL: ControlRequest {
    let port: String?
    func run(on dp: Datapath) throws -> ACLDoc {
        let table = dp.pipeline.securityGroups.table
        var ports: [ACLDoc.PortGroups] = []
        var wanted: Set<String>?
        if let port {
            let id = Int(try dp.requirePort(port).id)
            wanted = Set(table.groupsOfPort[id] ?? [])
        }
        for p in dp.activePorts.sorted(by: { $0.id < $1.id }) {
            guard let groups = table.groupsOfPort[Int(p.id)], port == nil || p.name == port else { continue }
            let policy = Int(table.ingressPolicy[Int(p.id)]), egress = Int(table.egressPolicy[Int(p.id)])
            ports.append(.init(port: p.name, groups: groups,
                               classifierTuples: table.classifier.tupleCount(policy: policy) + table.classifier.tupleCount(policy: egress)))
        }
        let rules = table.rules.filter { r in wanted.map { r.group.isEmpty || $0.contains(r.group) } ?? true }.map { r in
            ACLRuleDoc(id: Int(r.id), group: r.group, index: r.index, direction: r.direction, action: r.action,
                       priority: r.priority, rule: r.text,
                       hits: Int(r.id) < dp.pipeline.securityGroups.ruleHitCount ? dp.pipeline.securityGroups.ruleHits[Int(r.id)] : 0)
        }
        return ACLDoc(ports: ports, rules: rules)
    }
}

/// Copies of the tracked connections in `SwitchRuntime.sliceSlots` slots from `start` (of one port, in one state), at most `wanted`; the slot to go on from.
struct ReadConnectionSlice: ControlRequest {
    let port: String?
    let state: ConnState?
    let start: Int
    let wanted: Int
    func run(on dp: Datapath) throws -> ([(Int, Connection)], Int?, SwitchRuntime.ConnectionContext) {
        let zone = try port.map { ConnZone.port(Int(try dp.requirePort($0).id)) }
        var entries: [(Int, Connection)] = []
        entries.reserveCapacity(min(wanted, SwitchRuntime.sliceSlots))
        let next = dp.pipeline.conntrack.table.forEach(from: start, slots: SwitchRuntime.sliceSlots) { slot, c in
            guard zone == nil || c.zone == zone!, state == nil || c.state == state! else { return true }
            entries.append((slot, c))
            return entries.count < wanted
        }
        return (entries, next, SwitchRuntime.ConnectionContext(now: dp.clock.nowNanos, timeouts: dp.pipeline.conntrack.timeouts,
                                                 portNames: SwitchRuntime.portNames(dp)))
    }
}

/// Connection-tracking counts and counters.
struct ReadConntrackStats: ControlRequest {
    func run(on dp: Datapath) -> ConntrackStatsDoc {
        let acl = dp.pipeline.securityGroups, table = dp.pipeline.conntrack.table
        var byState: [String: Int] = [:]
        for s in ConnState.allCases where s != .free { byState[s.name] = table.count(in: s) }
        let s = table.stats
        return ConntrackStatsDoc(entries: table.count, capacity: table.capacity, byState: byState,
                                 created: s.created, expired: s.expired, evicted: s.evicted, refused: s.refused,
                                 invalid: s.invalid, revoked: s.revoked, flushed: s.flushed, related: s.related,
                                 fragmentsFollowed: dp.pipeline.conntrack.fragmentsFollowed, lookups: s.lookups, hits: s.hits,
                                 loose: acl.loose, ruleGeneration: Int(acl.generation))
    }
}

/// Ends tracked connections (all, or one port's zone).
struct FlushConntrack: ControlRequest {
    let port: String?
    func run(on dp: Datapath) throws -> Int {
        let zone = try port.map { ConnZone.port(Int(try dp.requirePort($0).id)) }
        return dp.pipeline.conntrack.forget { zone == nil || $0.zone == zone! }
    }
}
