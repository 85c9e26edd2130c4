import SwivelPacket
import SwivelCore

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
/// routing snapshot and the FDB.
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
    public mutating func process(_ batch: borrowing PacketBatch, pool: FramePool, routing: Routing, fdb: inout FDB,
                                 decisions: UnsafeMutablePointer<Decision>, counters: PortCounters, now: UInt64,
                                 trace: TraceBuffer, dryRun: Bool = false) {
        for i in 0..<batch.count {
            let d = decisions[i]
            let f = batch[i]
            let m = pool.meta + Int(f)
            if d.action == .route {
                decisions[i] = route(f, m, interface: Int(d.port), pool: pool, routing: routing, fdb: &fdb,
                                     counters: counters, now: now, dryRun: dryRun)
                // An ARP for the router is done with; in a dry run nothing was queued either.
                if decisions[i].action == .consumed && (dryRun || m.pointee.etherType == EtherType.arp) { pool.free(f) }
            } else if d.action == .flood && m.pointee.etherType == EtherType.arp && !dryRun
                        && routing.hasInterfaces(network: m.pointee.network) {
                // Broadcast ARP on a routed network: still flooded, and the routers listen.
                arp(m, data: pool.data(f), interface: nil, pool: pool, routing: routing, fdb: &fdb, counters: counters, now: now)
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
                        routing: Routing, fdb: inout FDB, counters: PortCounters, now: UInt64, dryRun: Bool) -> Decision {
        let p = pool.data(f)
        switch m.pointee.etherType {
        case EtherType.ipv4: break
        case EtherType.arp:
            if !dryRun { arp(m, data: p, interface: itfIndex, pool: pool, routing: routing, fdb: &fdb, counters: counters, now: now) }
            return Decision(action: .consumed)
        case EtherType.ipv6: return .drop(.ipv6Unsupported)
        default: return .drop(.l3Unsupported)
        }
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        let ip = p + l3
        guard available >= 20 else { return .drop(.ipBadLength) }
        let vihl = ip.load(as: UInt8.self)
        let ihl = Int(vihl & 0x0F) * 4
        guard vihl >> 4 == 4, ihl >= 20 else { return .drop(.ipBadHeader) }
        let total = Int(UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        guard ihl <= available, total >= ihl, total <= available else { return .drop(.ipBadLength) }
        guard Checksum.fold(Checksum.sum(ip, count: ihl)) == 0xFFFF else { return .drop(.ipBadChecksum) }

        let itfIn = routing.interfaces[itfIndex]
        let destination = UInt32(bigEndian: ip.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let found = routing.lookup(router: itfIn.router, destination)
        if let hop = found, hop.isLocal {
            return local(m, ip: ip, ihl: ihl, total: total, interface: itfIn, dryRun: dryRun)
        }
        let ttl = ip.load(fromByteOffset: 8, as: UInt8.self)
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
        if m.pointee.offload.isGSO && ip.load(fromByteOffset: 9, as: UInt8.self) == IPProtocol.tcp && available >= ihl + 13 {
            let tcpHeader = Int(ip.load(fromByteOffset: ihl + 12, as: UInt8.self) >> 4) * 4
            wire = ihl + tcpHeader + Int(m.pointee.offload.gsoSize)
        }
        if wire > itfOut.mtu {
            let dontFragment = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x4000 != 0
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
            return rewrite(m, data: p, interface: itfOut, to: n.pointee.mac, fdb: &fdb, now: now)
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
                          to mac: MACAddress, fdb: inout FDB, now: UInt64) -> Decision {
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
        guard ip.load(fromByteOffset: 9, as: UInt8.self) == IPProtocol.icmp, total >= ihl + 8,
              ip.load(fromByteOffset: ihl, as: UInt8.self) == 8 else { return .drop(.routerLocal) }
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

    // MARK: ARP

    /// Handles an ARP packet seen on a network with router interfaces. `interface`: the router interface
    /// the frame was addressed to (unicast), or nil for a broadcast.
    @inlinable
    mutating func arp(_ m: UnsafeMutablePointer<FrameMeta>, data p: UnsafeMutableRawPointer, interface: Int?, pool: FramePool,
                      routing: Routing, fdb: inout FDB, counters: PortCounters, now: UInt64) {
        let a = p + Int(m.pointee.l3Offset)
        guard Int(m.pointee.length) - Int(m.pointee.l3Offset) >= 28,
              UInt32(bigEndian: a.loadUnaligned(as: UInt32.self)) == 0x0001_0800,
              UInt16(bigEndian: a.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == 0x0604 else { return }
        let op = UInt16(bigEndian: a.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        let senderMAC = MACAddress(loadingFrom: a + 8)
        let senderIP = UInt32(bigEndian: a.loadUnaligned(fromByteOffset: 14, as: UInt32.self))
        let targetIP = UInt32(bigEndian: a.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        let network = m.pointee.network
        let targetsUs = routing.interface(network: network, address: targetIP)

        // Update what is known about the sender on every router interface of this network.
        if senderIP != 0 {
            let start = Int(routing.networkStart[Int(network)]), end = Int(routing.networkStart[Int(network) + 1])
            for k in start..<end {
                let itf = UInt16(routing.interfaceOrder[k])
                if let n = neighbors.find(interface: itf, address: senderIP) {
                    learn(n, mac: senderMAC, confirmed: op == 2, interface: routing.interfaces[Int(itf)], fdb: &fdb, now: now, pool: pool)
                } else if let t = targetsUs, t == Int(itf), op == 1,
                          senderIP & Self.mask(routing.interfaces[t].prefixLength) == routing.interfaces[t].prefix {
                    // A request to us: the asker will talk to us, so keep its address (as Linux does, stale).
                    // Only for senders on the interface's subnet: anyone else could fill the table with
                    // addresses the router would never route to.
                    var entry = NeighborEntry(mac: senderMAC, state: .stale, confirmedAt: now)
                    entry.probedAt = now
                    if neighbors.table.insert(NeighborKey(interface: itf, address: senderIP), entry) == nil {
                        neighbors.stats.tableFull &+= 1
                    }
                }
            }
        }
        guard op == 1, let t = targetsUs else { return }
        let itf = routing.interfaces[t]
        guard let (r, q) = newFrame(length: 42, etherType: EtherType.arp, pool: pool) else { return }
        writeEthernet(q, destination: m.pointee.source, source: itf.mac, type: EtherType.arp)
        writeARP(q + 14, op: 2, senderMAC: itf.mac, senderIP: targetIP, targetMAC: senderMAC, targetIP: senderIP)
        let rm = pool.meta + Int(r)
        rm.pointee.network = network
        rm.pointee.inPort = m.pointee.inPort
        rm.pointee.flags = FrameMeta.routed
        neighbors.stats.repliesSent &+= 1
        emit(r, .output(m.pointee.inPort, remote: m.pointee.remote), pool: pool)
    }

    /// A neighbour's MAC seen (or confirmed): update it and send what was waiting for it.
    @inlinable
    mutating func learn(_ n: UnsafeMutablePointer<NeighborEntry>, mac: MACAddress, confirmed: Bool, interface itf: RouterInterface,
                        fdb: inout FDB, now: UInt64, pool: FramePool) {
        if n.pointee.state != .incomplete && n.pointee.mac != mac { neighbors.stats.updated &+= 1 }
        if n.pointee.state == .incomplete { neighbors.stats.resolved &+= 1 }
        n.pointee.mac = mac
        if confirmed || n.pointee.state == .incomplete {
            n.pointee.state = .reachable
            n.pointee.confirmedAt = now
        }
        n.pointee.probes = 0
        for k in 0..<Int(n.pointee.pendingCount) {
            let f = n.pointee.pendingFrame(k)
            let fm = pool.meta + Int(f)
            emit(f, rewrite(fm, data: pool.data(f), interface: itf, to: mac, fdb: &fdb, now: now), pool: pool)
        }
        n.pointee.pendingCount = 0
    }

    @inlinable
    mutating func arpRequest(interface itf: RouterInterface, target: UInt32, inPort: UInt16, pool: FramePool) {
        guard let (f, q) = newFrame(length: 42, etherType: EtherType.arp, pool: pool) else { return }
        writeEthernet(q, destination: .broadcast, source: itf.mac, type: EtherType.arp)
        writeARP(q + 14, op: 1, senderMAC: itf.mac, senderIP: itf.address, targetMAC: .zero, targetIP: target)
        let m = pool.meta + Int(f)
        m.pointee.network = itf.network
        m.pointee.inPort = inPort
        m.pointee.flags = FrameMeta.routed
        neighbors.stats.requestsSent &+= 1
        emit(f, .flood, pool: pool)
    }

    // MARK: ICMP errors

    /// Sends an ICMP error about the packet at `ip` back to its source through the interface it came in
    /// on. Never about an ICMP error, a non-first fragment, or a broadcast, multicast or zero source.
    @inlinable
    mutating func icmpError(type: UInt8, code: UInt8, extra: UInt32 = 0, about m: UnsafeMutablePointer<FrameMeta>,
                            ip: UnsafeMutableRawPointer, interface itf: RouterInterface, pool: FramePool, now: UInt64) {
        let ihl = Int(ip.load(as: UInt8.self) & 0x0F) * 4
        let total = Int(UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let source = UInt32(bigEndian: ip.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        if source == 0 || source >= 0xE000_0000 { return }
        if UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1FFF != 0 { return }
        if ip.load(fromByteOffset: 9, as: UInt8.self) == IPProtocol.icmp {
            guard total > ihl else { return }
            let t = ip.load(fromByteOffset: ihl, as: UInt8.self)
            if t == 3 || t == 4 || t == 5 || t == 11 || t == 12 { return }
        }
        // Rate limit: the router's token bucket, refilled by elapsed time. Router ids past the last bucket
        // share it (thousands of routers on one host).
        let b = min(Int(itf.router), Self.icmpBuckets - 1)
        let elapsed = now &- icmpRefilledAt[b]
        if elapsed >= 10_000_000 {
            icmpTokens[b] = min(Self.icmpBurst, icmpTokens[b] &+ min(elapsed / 1_000_000, Self.icmpBurst * 1000) * Self.icmpPerSecond / 1000)
            icmpRefilledAt[b] = now
        }
        guard icmpTokens[b] > 0 else { stats.icmpRateLimited &+= 1; return }
        icmpTokens[b] -= 1
        // RFC 1812 4.3.2.3: quote as much of the original as fits in 576 bytes.
        let quote = min(total, 576 - 28)
        guard let (f, q) = newFrame(length: 14 + 28 + quote, etherType: EtherType.ipv4, pool: pool) else { return }
        writeEthernet(q, destination: m.pointee.source, source: itf.mac, type: EtherType.ipv4)
        let out = q + 14
        out.storeBytes(of: 0x45, as: UInt8.self)
        out.storeBytes(of: 0xC0, toByteOffset: 1, as: UInt8.self)   // internetwork control
        out.storeBytes(of: UInt16(28 + quote).bigEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
        out.storeBytes(of: IPProtocol.icmp, toByteOffset: 9, as: UInt8.self)
        out.storeBytes(of: itf.address.bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: source.bigEndian, toByteOffset: 16, as: UInt32.self)
        Checksum.fixIPv4Header(out, headerLength: 20)
        let icmp = out + 20
        icmp.storeBytes(of: type, as: UInt8.self)
        icmp.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: UInt16(0), toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: extra.bigEndian, toByteOffset: 4, as: UInt32.self)
        (icmp + 8).copyMemory(from: UnsafeRawPointer(ip), byteCount: quote)
        icmp.storeBytes(of: Checksum.compute(icmp, count: 8 + quote).bigEndian, toByteOffset: 2, as: UInt16.self)
        let gm = pool.meta + Int(f)
        gm.pointee.network = m.pointee.network
        gm.pointee.inPort = m.pointee.inPort
        gm.pointee.flags = FrameMeta.routed
        stats.icmpErrorsSent &+= 1
        emit(f, .output(m.pointee.inPort, remote: m.pointee.remote), pool: pool)
    }

    // MARK: frames made here

    @inlinable @inline(__always)
    /// A frame the router makes, with the metadata parse would have given it: later checks (the ingress
    /// rules of a guarded port) read the EtherType and the L3 offset, and a made frame must not look like
    /// an unknown protocol to them.
    func newFrame(length: Int, etherType: UInt16, pool: FramePool) -> (FrameIndex, UnsafeMutableRawPointer)? {
        guard let f = pool.allocate(bytes: length, forReceive: false) else { return nil }
        pool.meta[Int(f)].length = UInt32(length)
        pool.meta[Int(f)].etherType = etherType
        pool.meta[Int(f)].l3Offset = UInt16(Ethernet.headerLength)
        return (f, pool.data(f))
    }

    @inlinable @inline(__always)
    mutating func emit(_ f: FrameIndex, _ d: Decision, pool: FramePool) {
        guard !generated.isFull else {
            stats.generatedDropped &+= 1
            pool.free(f)
            return
        }
        generatedDecisions[generated.count] = d
        generated.append(f)
    }

    @inlinable @inline(__always)
    func writeEthernet(_ p: UnsafeMutableRawPointer, destination: MACAddress, source: MACAddress, type: UInt16) {
        destination.store(to: p)
        source.store(to: p + 6)
        p.storeBytes(of: type.bigEndian, toByteOffset: 12, as: UInt16.self)
    }

    @inlinable @inline(__always)
    func writeARP(_ p: UnsafeMutableRawPointer, op: UInt16, senderMAC: MACAddress, senderIP: UInt32,
                  targetMAC: MACAddress, targetIP: UInt32) {
        p.storeBytes(of: UInt32(0x0001_0800).bigEndian, as: UInt32.self)
        p.storeBytes(of: UInt16(0x0604).bigEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: op.bigEndian, toByteOffset: 6, as: UInt16.self)
        senderMAC.store(to: p + 8)
        p.storeBytes(of: senderIP.bigEndian, toByteOffset: 14, as: UInt32.self)
        targetMAC.store(to: p + 18)
        p.storeBytes(of: targetIP.bigEndian, toByteOffset: 24, as: UInt32.self)
    }

    // MARK: housekeeping

    /// Once a second: retries unresolved addresses, gives up on silent ones (ICMP host unreachable for
    /// what waited, counted as `host-unreachable`), ages entries reachable -> stale -> gone.
    public mutating func tick(now: UInt64, pool: FramePool, routing: Routing, counters: PortCounters) {
        var removals = 0
        for slot in 0..<neighbors.table.slotCount where neighbors.table.isUsed(slot) {
            let key = neighbors.table.key(at: slot)
            let n = neighbors.table.value(at: slot)
            guard Int(key.interface) < routing.interfaces.count else {
                if removals < Self.expiredCapacity { expired[removals] = key; removals += 1 }
                continue
            }
            let itf = routing.interfaces[Int(key.interface)]
            switch n.pointee.state {
            case .incomplete:
                guard now &- n.pointee.probedAt >= NeighborTable.retryNanos else { continue }
                if n.pointee.probes < NeighborTable.maxProbes {
                    n.pointee.probes += 1
                    n.pointee.probedAt = now
                    arpRequest(interface: itf, target: key.address, inPort: 0, pool: pool)
                } else if removals < Self.expiredCapacity {
                    for k in 0..<Int(n.pointee.pendingCount) {
                        let f = n.pointee.pendingFrame(k)
                        let fm = pool.meta + Int(f)
                        if let itfIn = routing.interface(network: fm.pointee.network, mac: fm.pointee.destination) {
                            icmpError(type: 3, code: 1, about: fm, ip: pool.data(f) + Int(fm.pointee.l3Offset),
                                      interface: routing.interfaces[itfIn], pool: pool, now: now)
                        }
                        counters.countDrop(Int(fm.pointee.inPort), .hostUnreachable)
                        pool.free(f)
                    }
                    n.pointee.pendingCount = 0
                    neighbors.stats.failed &+= 1
                    expired[removals] = key
                    removals += 1
                }
            case .reachable:
                if now &- n.pointee.confirmedAt >= NeighborTable.reachableNanos { n.pointee.state = .stale }
            case .stale:
                if now &- n.pointee.confirmedAt >= NeighborTable.reachableNanos + NeighborTable.staleNanos,
                   removals < Self.expiredCapacity {
                    expired[removals] = key
                    removals += 1
                }
            }
        }
        for k in 0..<removals {
            if let slot = neighbors.table.find(expired[k]) { neighbors.table.remove(at: slot) }
        }
    }

    /// Forgets every entry (after the router interfaces changed); packets still waiting for ARP are
    /// dropped and counted as `no-route` on the port they came in on.
    public mutating func flushNeighbors(pool: FramePool, counters: PortCounters) {
        for slot in 0..<neighbors.table.slotCount where neighbors.table.isUsed(slot) {
            let n = neighbors.table.value(at: slot)
            for k in 0..<Int(n.pointee.pendingCount) {
                let f = n.pointee.pendingFrame(k)
                counters.countDrop(Int(pool.meta[Int(f)].inPort), .noRoute)
                pool.free(f)
            }
            n.pointee.pendingCount = 0
        }
        _ = neighbors.table.removeAll { _, _ in true }
    }
}
