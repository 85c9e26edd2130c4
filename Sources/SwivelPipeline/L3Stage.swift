import SwivelPacket
import SwivelCore
import SwivelAddress

/// l3: the routers. Takes frames the l2 stage addressed to a router interface (`route` decisions) and
/// ARP seen on networks that have router interfaces.
/// - ARP: answers requests for gateway addresses; replies resolve pending next hops; ARP seen for a
///   known address updates its entry (unsolicited ARP never creates one).
/// - IPv4: validates the header, answers echo requests to the router's own addresses, checks TTL,
///   looks the destination up in the router's table (its VRF), checks the egress MTU, resolves the next
///   hop, decrements TTL (incremental checksum), rewrites the MACs and looks the new destination up in
///   the egress network's FDB. Errors go back as ICMP (time exceeded, net/host unreachable,
///   fragmentation needed), rate-limited, never about an ICMP error.
/// Decides: output/flood (routed or replied), consumed (kept waiting for ARP, or an ARP for the router),
/// drop (ip-bad-header, ip-bad-length, ip-bad-checksum, ttl-exceeded, no-route, fragmentation-needed,
/// fragmentation-unsupported, arp-queue-full, router-local, ipv6-unsupported, l3-unsupported).
/// Writes meta: network (the egress network), the `routed` flag. Tables: neighbours (owned); reads the
/// routing snapshot and the FDB. Neighbour resolution (ARP) is in RouterNeighbors.swift; ICMP errors and
/// the frames a router makes, in RouterICMP.swift.
public struct L3Stage {
    public var neighbors = NeighborTable()
    public var stats = Stats()
    /// Frames this stage made or released (ARP, ICMP, packets that waited for ARP) with their decisions;
    /// the output stage sends them after the batch.
    public var generated: PacketBatch
    public let generatedDecisions: UnsafeMutablePointer<Decision>
    /// ICMP error budgets, one token bucket per router (by router id), so that one tenant's router
    /// provoked into sending errors does not silence everybody else's.
    @usableFromInline let icmpTokens: UnsafeMutablePointer<UInt64>
    @usableFromInline let icmpRefilledAt: UnsafeMutablePointer<UInt64>
    @usableFromInline static let icmpBuckets = 4096
    /// Keys of neighbour entries to remove, gathered by the once-a-second sweep (no allocation).
    @usableFromInline let expired: UnsafeMutablePointer<NeighborKey>
    @usableFromInline static let expiredCapacity = 256

    public struct Stats: Sendable, Equatable {
        public var routed: UInt64 = 0
        public var echoReplies: UInt64 = 0
        public var icmpErrorsSent: UInt64 = 0
        public var icmpRateLimited: UInt64 = 0
        public var generatedDropped: UInt64 = 0
    }

    /// ICMP errors: at most this many per second from each router, in bursts of up to `icmpBurst`.
    public static let icmpPerSecond: UInt64 = 100
    public static let icmpBurst: UInt64 = 100

    public init(generatedCapacity: Int = 256) {
        generated = PacketBatch(capacity: generatedCapacity)
        generatedDecisions = .allocate(capacity: generatedCapacity)
        expired = .allocate(capacity: Self.expiredCapacity)
        icmpTokens = .allocate(capacity: Self.icmpBuckets)
        icmpTokens.initialize(repeating: Self.icmpBurst, count: Self.icmpBuckets)
        icmpRefilledAt = .allocate(capacity: Self.icmpBuckets)
        icmpRefilledAt.initialize(repeating: 0, count: Self.icmpBuckets)
    }

    @inlinable
    public mutating func process(_ batch: borrowing PacketBatch, pool: FramePool, routing: Routing, fdb: FDB,
                                 decisions: UnsafeMutablePointer<Decision>, counters: PortCounters, now: UInt64,
                                 trace: TraceBuffer, dryRun: Bool = false) {
        for i in 0..<batch.count {
            let d = decisions[i]
            let f = batch[i]
            let m = pool.meta + Int(f)
            if d.action == .route {
                decisions[i] = route(f, m, interface: Int(d.port), pool: pool, routing: routing, fdb: fdb,
                                     counters: counters, now: now, dryRun: dryRun)
                // An ARP for the router is done with; in a dry run nothing was queued either.
                if decisions[i].action == .consumed && (dryRun || m.pointee.etherType == EtherType.arp) { pool.free(f) }
            } else if d.action == .flood && m.pointee.etherType == EtherType.arp && !dryRun
                        && routing.hasInterfaces(network: m.pointee.network) {
                // Broadcast ARP on a routed network: still flooded, and the routers listen.
                arp(m, data: pool.data(f), interface: nil, pool: pool, routing: routing, fdb: fdb, counters: counters, now: now)
            } else {
                continue
            }
            if m.pointee.flags & FrameMeta.traced != 0 {
                let r = decisions[i]
                trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.l3,
                                         verdict: r.action == .drop ? .drop : r.action == .flood ? .flood
                                            : r.action == .output ? .output : .continue,
                                         reason: r.reason, port: r.port, network: m.pointee.network,
                                         count: d.action == .route ? UInt32(d.port) : UInt32.max))
            }
        }
    }

    // MARK: IPv4

    @inlinable
    mutating func route(_ f: FrameIndex, _ m: UnsafeMutablePointer<FrameMeta>, interface itfIndex: Int, pool: FramePool,
                        routing: Routing, fdb: FDB, counters: PortCounters, now: UInt64, dryRun: Bool) -> Decision {
        let p = pool.data(f)
        switch m.pointee.etherType {
        case EtherType.ipv4: break
        case EtherType.arp:
            if !dryRun { arp(m, data: p, interface: itfIndex, pool: pool, routing: routing, fdb: fdb, counters: counters, now: now) }
            return Decision(action: .consumed)
        case EtherType.ipv6: return .drop(.ipv6Unsupported)
        default: return .drop(.l3Unsupported)
        }
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        let ip = p + l3
        guard let header = IPv4Header(p, at: l3, available: available) else { return .drop(.ipBadLength) }
        let ihl = header.headerLength
        guard header.version == 4, ihl >= 20 else { return .drop(.ipBadHeader) }
        let total = header.totalLength
        guard ihl <= available, total >= ihl, total <= available else { return .drop(.ipBadLength) }
        guard Checksum.fold(Checksum.sum(ip, count: ihl)) == 0xFFFF else { return .drop(.ipBadChecksum) }

        let itfIn = routing.interfaces[itfIndex]
        let destination = header.destination
        let found = routing.lookup(router: itfIn.router, destination)
        if let hop = found, hop.isLocal {
            return local(m, ip: ip, ihl: ihl, total: total, interface: itfIn, dryRun: dryRun)
        }
        let ttl = header.ttl
        if ttl <= 1 {
            if !dryRun { icmpError(type: 11, code: 0, about: m, ip: ip, interface: itfIn, pool: pool, now: now) }
            return .drop(.ttlExceeded)
        }
        guard let hop = found else {
            if !dryRun { icmpError(type: 3, code: 0, about: m, ip: ip, interface: itfIn, pool: pool, now: now) }
            return .drop(.noRoute)
        }
        let itfOut = routing.interfaces[Int(hop.interface)]
        // What goes on the wire: a GSO super-frame leaves as segments of headers + gsoSize.
        var wire = total
        if m.pointee.offload.isGSO && header.proto == IPProtocol.tcp && available >= ihl + 13 {
            let tcpHeader = TCPHeader(unchecked: ip + ihl).dataOffset
            wire = ihl + tcpHeader + Int(m.pointee.offload.gsoSize)
        }
        if wire > itfOut.mtu {
            let dontFragment = header.dontFragment
            if !dontFragment { return .drop(.fragmentationUnsupported) }
            if !dryRun {
                icmpError(type: 3, code: 4, extra: UInt32(itfOut.mtu), about: m, ip: ip, interface: itfIn, pool: pool, now: now)
            }
            return .drop(.fragmentationNeeded)
        }
        let nextHop = hop.gateway == 0 ? destination : hop.gateway
        if dryRun {
            guard let n = neighbors.find(interface: hop.interface, address: nextHop), n.pointee.state != .incomplete else {
                return Decision(action: .consumed, port: hop.interface)
            }
            m.pointee.network = itfOut.network
            return fdb.decision(network: itfOut.network, mac: n.pointee.mac, now: now) ?? .flood
        }
        stats.routed &+= 1
        if let n = neighbors.find(interface: hop.interface, address: nextHop), n.pointee.state != .incomplete {
            if n.pointee.state == .stale && now &- n.pointee.probedAt >= NeighborTable.retryNanos {
                n.pointee.probedAt = now
                arpRequest(interface: itfOut, target: nextHop, inPort: m.pointee.inPort, pool: pool)
            }
            return rewrite(m, data: p, interface: itfOut, to: n.pointee.mac, fdb: fdb, now: now)
        }
        // Unresolved: the frame waits in the neighbour entry (bounded) while ARP asks.
        if let n = neighbors.find(interface: hop.interface, address: nextHop) {
            return n.pointee.push(f) ? Decision(action: .consumed) : .drop(.arpQueueFull)
        }
        var entry = NeighborEntry(mac: .zero, state: .incomplete, confirmedAt: now)
        entry.probedAt = now
        entry.probes = 1
        _ = entry.push(f)
        guard neighbors.table.insert(NeighborKey(interface: hop.interface, address: nextHop), entry) != nil else {
            neighbors.stats.tableFull &+= 1
            return .drop(.arpQueueFull)
        }
        arpRequest(interface: itfOut, target: nextHop, inPort: m.pointee.inPort, pool: pool)
        return Decision(action: .consumed)
    }

    /// The forwarding rewrite: TTL down by one, MACs of the egress hop, network of the egress interface.
    @inlinable @inline(__always)
    mutating func rewrite(_ m: UnsafeMutablePointer<FrameMeta>, data p: UnsafeMutableRawPointer, interface itfOut: RouterInterface,
                          to mac: MACAddress, fdb: FDB, now: UInt64) -> Decision {
        Checksum.decrementTTL(p + Int(m.pointee.l3Offset))
        mac.store(to: p)
        itfOut.mac.store(to: p + 6)
        m.pointee.network = itfOut.network
        m.pointee.flags |= FrameMeta.routed
        return fdb.decision(network: itfOut.network, mac: mac, now: now) ?? .flood
    }

    /// A packet for the router itself: echo requests are answered in place; the rest is not served.
    @inlinable
    mutating func local(_ m: UnsafeMutablePointer<FrameMeta>, ip: UnsafeMutableRawPointer, ihl: Int, total: Int,
                        interface itf: RouterInterface, dryRun: Bool) -> Decision {
        guard IPv4Header(unchecked: ip).proto == IPProtocol.icmp, total >= ihl + 8,
              ICMPHeader(unchecked: ip + ihl).type == ICMPHeader.echoRequest else { return .drop(.routerLocal) }
        if dryRun { return .output(m.pointee.inPort, remote: m.pointee.remote) }
        let source = ip.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        ip.storeBytes(of: ip.loadUnaligned(fromByteOffset: 16, as: UInt32.self), toByteOffset: 12, as: UInt32.self)
        ip.storeBytes(of: source, toByteOffset: 16, as: UInt32.self)
        ip.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
        Checksum.fixIPv4Header(ip, headerLength: ihl)
        // Type 8 -> 0: the checksum changes by exactly that word (RFC 1624).
        let icmp = ip + ihl
        let hc = UInt16(bigEndian: icmp.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let old = UInt16(bigEndian: icmp.loadUnaligned(as: UInt16.self))
        let new = old & 0x00FF
        icmp.storeBytes(of: new.bigEndian, as: UInt16.self)
        icmp.storeBytes(of: (~Checksum.fold(UInt64(~hc) + UInt64(~old) + UInt64(new))).bigEndian, toByteOffset: 2, as: UInt16.self)
        let frame = ip - Int(m.pointee.l3Offset)
        m.pointee.source.store(to: frame)
        itf.mac.store(to: frame + 6)
        m.pointee.flags |= FrameMeta.routed
        stats.echoReplies &+= 1
        return .output(m.pointee.inPort, remote: m.pointee.remote)
    }

    @inlinable @inline(__always)
    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : ~UInt32(0) << (32 - length) }
}
