import Glibc
import SwivelPacket

// The connection table: entries, the index of both directions' tuples, the eviction queue, the counts per
// state, zone and network. Connection tracking's storage; `ConnTracker` is the service stages call.

/// Connection states. TCP goes through the handshake and closing states; UDP, ICMP echo and other
/// protocols are "new" until the other side answers, then "replied".
public enum ConnState: UInt8, Sendable, CaseIterable {
    case free = 0, synSent, synReceived, established, finWait, timeWait, closed, new, replied
    public var name: String {
        switch self {
        case .free: "free"
        case .synSent: "syn-sent"
        case .synReceived: "syn-received"
        case .established: "established"
        case .finWait: "fin-wait"
        case .timeWait: "time-wait"
        case .closed: "closed"
        case .new: "new"
        case .replied: "replied"
        }
    }
    /// Established connections are evicted last (only ones not in this state sit in the eviction queue).
    @inlinable public var isEstablished: Bool { self == .established || self == .finWait || self == .replied }
}

/// Per-state idle timeouts in seconds (documented in Docs/security-groups.md).
public struct ConnTimeouts: Sendable, Equatable {
    public var tcpOpening: UInt64 = 30
    public var tcpEstablished: UInt64 = 86_400
    public var tcpClosing: UInt64 = 120
    public var tcpTimeWait: UInt64 = 30
    public var tcpClosed: UInt64 = 10
    public var unreplied: UInt64 = 30
    public var replied: UInt64 = 120
    public init() {}

    @inlinable public func seconds(_ s: ConnState) -> UInt64 {
        switch s {
        case .synSent, .synReceived: tcpOpening
        case .established: tcpEstablished
        case .finWait: tcpClosing
        case .timeWait: tcpTimeWait
        case .closed: tcpClosed
        case .new: unreplied
        case .replied: replied
        case .free: 0
        }
    }
}

/// One tracked connection: the tuple of the packet that created it (original) and the tuple its replies
/// carry (the original reversed, or translated by NAT or the load balancer).
public struct Connection: Sendable {
    public var original: ConnTuple
    public var reply: ConnTuple
    /// What translated it (router zones); `.none` otherwise.
    public var binding = ConnBinding.none
    /// The network it was created in (the first packet's), for per-network counts and quotas.
    public var network: UInt16 = 0
    public var created: UInt64 = 0
    public var lastSeen: UInt64 = 0
    public var packets: (UInt64, UInt64) = (0, 0)   // original, reply
    public var bytes: (UInt64, UInt64) = (0, 0)
    /// The rule that allowed it.
    public var rule: UInt32 = 0
    /// The security table generation it was last checked against.
    public var generation: UInt32 = 0
    public var state: ConnState = .free
    /// 0: the zone's port opened it (egress), 1: it came in to the port (ingress).
    public var origin: UInt8 = 0
    /// FIN seen: bit 0 original, bit 1 reply.
    public var finSeen: UInt8 = 0
    /// TCP: next sequence number expected from each side, largest window each side advertised (scaled),
    /// window scale each side announced (0xFF: none yet). For RST checks.
    public var nextSeq: (UInt32, UInt32) = (0, 0)
    /// The original SYN's sequence number: a SYN-ACK (or refusing RST) must acknowledge it.
    public var initialSeq: UInt32 = 0
    public var window: (UInt32, UInt32) = (0, 0)
    public var windowScale: (UInt8, UInt8) = (0xFF, 0xFF)
    public var seenReply = false
    /// Eviction queue links (entry indices, -1: none).
    public var prev: Int32 = -1
    public var next: Int32 = -1
    public var queued = false
    public init(original: ConnTuple, reply: ConnTuple) { self.original = original; self.reply = reply }
    /// The zone it lives in (both tuples carry it).
    @inlinable public var zone: ConnZone { original.zone }
}

/// The connection table: fixed capacity, allocated once; an index maps both directions' tuples to the
/// entry. When full, a new connection evicts the oldest connection that is not established (a FIFO of
/// those); when every entry is established, the new connection is refused. Single writer (the datapath).
/// Ownership: per-worker, single writer (the stages that use `ConnTracker`; housekeeping and flushes run
/// between batches).
public struct ConnTable {
    public let capacity: Int
    @usableFromInline var index: OpenTable<ConnTuple, UInt32>   // entry << 1 | direction (1: reply)
    public let entries: UnsafeMutablePointer<Connection>
    @usableFromInline var freeList: UnsafeMutablePointer<Int32>
    @usableFromInline var freeCount: Int
    @usableFromInline var queueHead: Int32 = -1
    @usableFromInline var queueTail: Int32 = -1
    @usableFromInline var sweepCursor = 0
    public var timeouts = ConnTimeouts()
    public var stats = Stats()
    /// Entries per state, kept up to date on every change so that reading them (metrics, `conntrack stats`)
    /// never walks the table on the datapath thread.
    @usableFromInline let stateCounts: UnsafeMutablePointer<Int>
    /// Entries per zone (`ConnZone.index`) and per network: what quotas compare with, kept the same way.
    @usableFromInline let zoneCounts: UnsafeMutablePointer<Int32>
    @usableFromInline let networkCounts: UnsafeMutablePointer<Int32>

    public struct Stats: Sendable, Equatable {
        public var created: UInt64 = 0
        public var expired: UInt64 = 0
        public var evicted: UInt64 = 0
        public var refused: UInt64 = 0     // table full of established connections
        public var invalid: UInt64 = 0
        public var revoked: UInt64 = 0
        public var flushed: UInt64 = 0
        public var related: UInt64 = 0
        public var lookups: UInt64 = 0
        public var hits: UInt64 = 0
        public init() {}
    }

    public init(capacity: Int) {
        precondition(capacity > 0 && capacity < Int(Int32.max))
        self.capacity = capacity
        index = OpenTable(limit: capacity * 2)
        // Zeroed memory is a table of free entries (state 0), and calloc leaves the pages untouched until a
        // connection lands there: a large table costs memory only as it fills.
        entries = calloc(capacity, MemoryLayout<Connection>.stride)!.bindMemory(to: Connection.self, capacity: capacity)
        freeList = .allocate(capacity: capacity)
        for i in 0..<capacity { freeList[i] = Int32(capacity - 1 - i) }
        freeCount = capacity
        stateCounts = .allocate(capacity: ConnState.allCases.count)
        stateCounts.initialize(repeating: 0, count: ConnState.allCases.count)
        stateCounts[Int(ConnState.free.rawValue)] = capacity
        // calloc: pages are touched only for zones and networks that have connections.
        zoneCounts = calloc(ConnZone.count, MemoryLayout<Int32>.stride)!.bindMemory(to: Int32.self, capacity: ConnZone.count)
        networkCounts = calloc(1 << 16, MemoryLayout<Int32>.stride)!.bindMemory(to: Int32.self, capacity: 1 << 16)
    }

    public func deallocate() {
        index.deallocate(); free(entries); freeList.deallocate(); stateCounts.deallocate(); free(zoneCounts); free(networkCounts)
    }

    /// Connections in one zone now.
    public func count(in zone: ConnZone) -> Int { Int(zoneCounts[zone.index]) }

    /// Connections created in one network now.
    public func count(network: UInt16) -> Int { Int(networkCounts[Int(network)]) }

    /// How many entries are in `state` now.
    public func count(in state: ConnState) -> Int { stateCounts[Int(state.rawValue)] }

    public var count: Int { capacity - freeCount }

    /// The entry and whether the packet travels in the reply direction.
    @inlinable @inline(__always)
    public func find(_ key: ConnTuple) -> (entry: Int, reply: Bool)? {
        guard let slot = index.find(key) else { return nil }
        let v = index.value(at: slot).pointee
        return (Int(v >> 1), v & 1 == 1)
    }

    @inlinable @inline(__always)
    public func isExpired(_ e: Int, now: UInt64) -> Bool {
        let c = entries[e]
        return now &- c.lastSeen > timeouts.seconds(c.state) &* 1_000_000_000
    }

    /// A new entry for `original` whose replies carry `reply` (untranslated: the original reversed),
    /// evicting if needed; nil when the table is full of established connections.
    @inlinable
    public mutating func insert(_ original: ConnTuple, reply: ConnTuple? = nil, network: UInt16 = 0,
                                binding: ConnBinding = .none, state: ConnState, origin: UInt8, rule: UInt32,
                                generation: UInt32, now: UInt64) -> Int? {
        if freeCount == 0 {
            guard queueHead >= 0 else { stats.refused &+= 1; return nil }
            remove(Int(queueHead))
            stats.evicted &+= 1
        }
        freeCount -= 1
        let e = Int(freeList[freeCount])
        var c = Connection(original: original, reply: reply ?? original.reversed)
        stateCounts[Int(c.state.rawValue)] -= 1
        stateCounts[Int(state.rawValue)] += 1
        zoneCounts[original.zone.index] += 1
        networkCounts[Int(network)] += 1
        c.created = now; c.lastSeen = now; c.state = state; c.origin = origin; c.rule = rule; c.generation = generation
        c.network = network; c.binding = binding
        entries[e] = c
        _ = index.insert(c.original, UInt32(e) << 1)
        _ = index.insert(c.reply, UInt32(e) << 1 | 1)
        if !state.isEstablished { enqueue(e) }
        stats.created &+= 1
        return e
    }

    /// Ends a connection.
    @inlinable
    public mutating func remove(_ e: Int) {
        let c = entries[e]
        if let slot = index.find(c.original) { index.remove(at: slot) }
        if let slot = index.find(c.reply) { index.remove(at: slot) }
        if c.queued { dequeue(e) }
        zoneCounts[c.zone.index] -= 1
        networkCounts[Int(c.network)] -= 1
        stateCounts[Int(entries[e].state.rawValue)] -= 1
        stateCounts[Int(ConnState.free.rawValue)] += 1
        entries[e].state = .free
        freeList[freeCount] = Int32(e)
        freeCount += 1
    }

    /// Moves an entry to a new state, keeping the eviction queue to the non-established ones (a connection
    /// that closes goes to the back: it became evictable just now).
    @inlinable @inline(__always)
    public mutating func setState(_ e: Int, _ s: ConnState) {
        let was = entries[e].state
        stateCounts[Int(was.rawValue)] -= 1
        stateCounts[Int(s.rawValue)] += 1
        entries[e].state = s
        if was.isEstablished != s.isEstablished {
            if s.isEstablished { if entries[e].queued { dequeue(e) } } else { enqueue(e) }
        }
    }

    @usableFromInline
    mutating func enqueue(_ e: Int) {
        entries[e].prev = queueTail
        entries[e].next = -1
        if queueTail >= 0 { entries[Int(queueTail)].next = Int32(e) } else { queueHead = Int32(e) }
        queueTail = Int32(e)
        entries[e].queued = true
    }

    @usableFromInline
    mutating func dequeue(_ e: Int) {
        let p = entries[e].prev, n = entries[e].next
        if p >= 0 { entries[Int(p)].next = n } else { queueHead = n }
        if n >= 0 { entries[Int(n)].prev = p } else { queueTail = p }
        entries[e].prev = -1; entries[e].next = -1; entries[e].queued = false
    }

    /// Removes expired entries, looking at `budget` entries per call (the sweep goes round the table over
    /// several ticks, so one tick never stalls the datapath).
    public mutating func sweep(now: UInt64, budget: Int = 65_536) {
        for _ in 0..<min(budget, capacity) {
            let e = sweepCursor
            sweepCursor = (sweepCursor + 1) % capacity
            if entries[e].state != .free && isExpired(e, now: now) {
                remove(e)
                stats.expired &+= 1
            }
        }
    }

    /// Removes every entry `shouldRemove` picks; returns how many. Control path.
    public mutating func removeAll(where shouldRemove: (Connection) -> Bool) -> Int {
        var n = 0
        for e in 0..<capacity where entries[e].state != .free && shouldRemove(entries[e]) {
            remove(e)
            n += 1
        }
        return n
    }

    public func forEach(_ body: (Connection) -> Void) {
        for e in 0..<capacity where entries[e].state != .free { body(entries[e]) }
    }

    /// Visits the entries in at most `slots` slots from `start` (bounded work per call, so a dump of a
    /// large table never stalls the datapath); `body` gets the slot and the entry and returns false to
    /// stop. Returns the slot to continue from, or nil once the end is reached. Entries never move between
    /// slots, so a slot is a stable cursor: a dump sees each entry that lives throughout it exactly once.
    public func forEach(from start: Int, slots: Int, _ body: (Int, Connection) -> Bool) -> Int? {
        var e = max(0, start)
        let end = min(capacity, e + slots)
        while e < end {
            if entries[e].state != .free && !body(e, entries[e]) { return e + 1 < capacity ? e + 1 : nil }
            e += 1
        }
        return e < capacity ? e : nil
    }
}
