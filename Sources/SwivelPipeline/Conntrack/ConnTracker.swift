import SwivelPacket

/// Connection tracking as one service, shared by the stages that need to know connections: the acl stage
/// today (security groups in port zones), NAT and the load balancer next (router zones). It owns the
/// connection table, the TCP state machine (TCPTracking.swift) and the table of first fragments whose
/// later fragments follow their verdict. Stages ask it; policy (what may start a connection, what a
/// translation is) stays with them.
///
/// Ownership: per-worker, single writer. The pipeline owns it and lends it (`inout`) to the stages that
/// use it, in stage order; housekeeping (`tick`) and flushes run between batches.
public struct ConnTracker {
    public var table: ConnTable
    @usableFromInline var fragments: OpenTable<FragmentKey, UInt64>
    /// Later fragments that passed on their first fragment's verdict.
    public var fragmentsFollowed: UInt64 = 0
    public static let fragmentTimeout: UInt64 = 5_000_000_000

    public init(capacity: Int, fragmentCapacity: Int = 8192) {
        table = ConnTable(capacity: capacity)
        fragments = OpenTable(limit: fragmentCapacity)
    }

    public func deallocate() { table.deallocate(); fragments.deallocate() }

    public var timeouts: ConnTimeouts {
        get { table.timeouts }
        set { table.timeouts = newValue }
    }

    /// A live connection for `tuple` and whether the tuple is its reply direction. An expired entry found
    /// here ends now (counted as expired) unless `dryRun`; either way it is not returned.
    @inlinable @inline(__always)
    public mutating func lookup(_ tuple: ConnTuple, now: UInt64, dryRun: Bool) -> (entry: Int, reply: Bool)? {
        if !dryRun { table.stats.lookups &+= 1 }
        guard let hit = table.find(tuple) else { return nil }
        if table.isExpired(hit.entry, now: now) {
            if !dryRun { table.remove(hit.entry); table.stats.expired &+= 1 }
            return nil
        }
        return hit
    }

    /// One frame looked up in two zones in one pass (a port zone and a router zone): the tuple is built
    /// once and only its zone changes between the probes.
    @inlinable
    public mutating func lookup(_ tuple: ConnTuple, in first: ConnZone, and second: ConnZone, now: UInt64,
                                dryRun: Bool) -> ((entry: Int, reply: Bool)?, (entry: Int, reply: Bool)?) {
        (lookup(tuple.in(first), now: now, dryRun: dryRun), lookup(tuple.in(second), now: now, dryRun: dryRun))
    }

    /// Whether a connection (live or not yet swept) has this tuple: an ICMP error quoting it is related.
    @inlinable public func isTracked(_ tuple: ConnTuple) -> Bool { table.find(tuple) != nil }

    /// Starts tracking a connection; nil when the table is full of established connections (refused).
    @inlinable
    public mutating func create(_ original: ConnTuple, reply: ConnTuple? = nil, network: UInt16, binding: ConnBinding = .none,
                                state: ConnState, origin: UInt8, rule: UInt32, generation: UInt32, now: UInt64) -> Int? {
        table.insert(original, reply: reply, network: network, binding: binding, state: state, origin: origin, rule: rule,
                     generation: generation, now: now)
    }

    /// Counts a packet of connection `e` and marks it seen now.
    @inlinable @inline(__always)
    public mutating func account(_ e: Int, reply: Bool, bytes: Int, now: UInt64) {
        let c = table.entries + e
        c.pointee.lastSeen = now
        if reply {
            c.pointee.packets.1 &+= 1; c.pointee.bytes.1 &+= UInt64(bytes); c.pointee.seenReply = true
        } else {
            c.pointee.packets.0 &+= 1; c.pointee.bytes.0 &+= UInt64(bytes)
        }
    }

    /// Whether a later fragment follows a first fragment that passed (in the same zone, not timed out).
    @inlinable
    public mutating func followsFirstFragment(_ key: FragmentKey, now: UInt64, dryRun: Bool) -> Bool {
        guard let slot = fragments.find(key), fragments.value(at: slot).pointee >= now else { return false }
        if !dryRun { fragmentsFollowed &+= 1 }
        return true
    }

    /// A first fragment passed: its later fragments follow it for `fragmentTimeout`. When the fragment
    /// table is full they do not (they are dropped and counted by the caller's reason).
    @inlinable
    public mutating func noteFirstFragment(_ key: FragmentKey, now: UInt64) {
        if let slot = fragments.find(key) {
            fragments.value(at: slot).pointee = now &+ Self.fragmentTimeout
        } else {
            _ = fragments.insert(key, now &+ Self.fragmentTimeout)
        }
    }

    /// Ends every connection of one zone (a port removed or re-created, a router removed); returns how many.
    @discardableResult
    public mutating func forget(zone: ConnZone) -> Int {
        let n = table.removeAll { $0.zone == zone }
        table.stats.flushed &+= UInt64(n)
        return n
    }

    /// Ends the connections `shouldEnd` picks (control path); returns how many.
    @discardableResult
    public mutating func forget(where shouldEnd: (Connection) -> Bool) -> Int {
        let n = table.removeAll(where: shouldEnd)
        table.stats.flushed &+= UInt64(n)
        return n
    }

    /// Once a second: expired connections and fragment entries go.
    public mutating func tick(now: UInt64) {
        table.sweep(now: now)
        _ = fragments.removeAll { _, expiry in expiry < now }
    }
}
