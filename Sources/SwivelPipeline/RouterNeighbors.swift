import SwivelCore
import SwivelPacket
import SwivelAddress

/// The routers' neighbour resolution (ARP): answers requests for gateway addresses, resolves the next
/// hops that packets wait for, sends requests, and once a second retries, gives up (ICMP host
/// unreachable for what waited) and ages entries. The table itself is `NeighborTable` (Neighbors.swift).
extension L3Stage {
    /// Handles an ARP packet seen on a network with router interfaces. `interface`: the router interface
    /// the frame was addressed to (unicast), or nil for a broadcast.
    @inlinable
    mutating func arp(_ m: UnsafeMutablePointer<FrameMeta>, data p: UnsafeMutableRawPointer, interface: Int?, pool: FramePool,
                      routing: Routing, fdb: FDB, counters: PortCounters, now: UInt64) {
        guard let a = ARPHeader(p, at: Int(m.pointee.l3Offset), available: Int(m.pointee.length) - Int(m.pointee.l3Offset)),
              a.isEthernetIPv4 else { return }
        let op = a.operation
        let senderMAC = a.senderMAC
        let senderIP = a.senderIP
        let targetIP = a.targetIP
        let network = m.pointee.network
        let targetsUs = routing.interface(network: network, address: targetIP)

        // Update what is known about the sender on every router interface of this network.
        if senderIP != 0 {
            let start = Int(routing.networkStart[Int(network)]), end = Int(routing.networkStart[Int(network) + 1])
            for k in start..<end {
                let itf = UInt16(routing.interfaceOrder[k])
                if let n = neighbors.find(interface: itf, address: senderIP) {
                    learn(n, mac: senderMAC, confirmed: op == 2, interface: routing.interfaces[Int(itf)], fdb: fdb, now: now, pool: pool)
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
                        fdb: FDB, now: UInt64, pool: FramePool) {
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
            emit(f, rewrite(fm, data: pool.data(f), interface: itf, to: mac, fdb: fdb, now: now), pool: pool)
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
