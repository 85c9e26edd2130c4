import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

@Suite struct LPMTests {
    /// Longest match by brute force, the reference.
    func reference(_ routes: [LPMTable.Route], _ a: UInt32) -> UInt32? {
        var best: LPMTable.Route?
        for r in routes where (r.length == 0 || a & ~UInt32(0) << (32 - r.length) == r.prefix) {
            if best == nil || r.length >= best!.length { best = r }
        }
        return best?.value
    }

    @Test func agreesWithBruteForceOnRandomPrefixes() {
        var rng = SystemRandomNumberGenerator()
        var routes: [LPMTable.Route] = [.init(prefix: 0, length: 0, value: 0)]
        var seen = Set<UInt64>([0])
        while routes.count < 2000 {
            let length = [8, 12, 16, 19, 20, 22, 23, 24, 24, 24, 25, 28, 30, 32].randomElement(using: &rng)!
            let r = LPMTable.Route(prefix: UInt32.random(in: 0...UInt32.max, using: &rng) & 0x0FFF_FFFF | 0x0A00_0000,
                                   length: length, value: UInt32(routes.count))
            if seen.insert(UInt64(r.prefix) << 8 | UInt64(r.length)).inserted { routes.append(r) }
        }
        let table = LPMTable(routes: routes)
        for r in routes.shuffled().prefix(500) {
            // Inside each prefix, at its edges and just outside.
            let size = r.length == 0 ? UInt32.max : (UInt32(1) << (32 - r.length)) &- 1
            for a in [r.prefix, r.prefix | size, r.prefix &+ size / 2, r.prefix &- 1, (r.prefix | size) &+ 1] {
                #expect(table.lookup(a) == reference(routes, a), "address \(IPv4Address.format(a))")
            }
        }
        for _ in 0..<5000 {
            let a = UInt32.random(in: 0...UInt32.max, using: &rng)
            #expect(table.lookup(a) == reference(routes, a))
        }
    }

    @Test func emptyAndDefaultAndHostRoutes() {
        #expect(LPMTable(routes: []).lookup(0x0A00_0001) == nil)
        let t = LPMTable(routes: [.init(prefix: 0, length: 0, value: 7), .init(prefix: 0x0A00_0001, length: 32, value: 9)])
        #expect(t.lookup(0x0A00_0001) == 9)
        #expect(t.lookup(0x0A00_0002) == 7)
        #expect(t.lookup(0xFFFF_FFFF) == 7)
    }
}

/// The IPv6 table behind the same interface, against brute force; and both families through the
/// protocol, as a router generic over the family will use them.
@Suite struct IPv6PrefixTableTests {
    func reference(_ routes: [IPv6PrefixTable.Route], _ a: IPv6Address) -> UInt32? {
        var best: IPv6PrefixTable.Route?
        for r in routes where IPv6Prefix(address: r.prefix, length: r.length).contains(a) {
            if best == nil || r.length >= best!.length { best = r }
        }
        return best?.value
    }

    @Test func agreesWithBruteForceOnRandomPrefixes() {
        var rng = SystemRandomNumberGenerator()
        var routes: [IPv6PrefixTable.Route] = [.init(prefix: .unspecified, length: 0, value: 0)]
        for _ in 0..<600 {
            let length = [32, 48, 56, 60, 64, 64, 64, 96, 127, 128].randomElement(using: &rng)!
            let a = IPv6Address(high: 0x2001_0db8_0000_0000 | UInt64.random(in: 0...0xFFFF_FFFF, using: &rng) & 0xFFFF_00FF,
                                low: UInt64.random(in: 0...3, using: &rng))
            routes.append(.init(prefix: a, length: length, value: UInt32(routes.count)))
        }
        // Duplicates keep the later route, as the IPv4 table does; the reference must see only those.
        var unique: [String: IPv6PrefixTable.Route] = [:]
        for r in routes { unique["\(r.prefix)/\(r.length)"] = r }
        let table = IPv6PrefixTable(routes: routes)
        let kept = Array(unique.values)
        for r in routes.shuffled().prefix(300) {
            #expect(table.lookup(r.prefix) == reference(kept, r.prefix))
            let inside = IPv6Address(high: r.prefix.high, low: r.prefix.low | (r.length < 128 ? 1 : 0))
            #expect(table.lookup(inside) == reference(kept, inside))
        }
        for _ in 0..<3000 {
            let a = IPv6Address(high: 0x2001_0db8_0000_0000 | UInt64.random(in: 0...0xFFFF_FFFF, using: &rng),
                                low: UInt64.random(in: 0...UInt64.max, using: &rng))
            #expect(table.lookup(a) == reference(kept, a))
        }
        #expect(IPv6PrefixTable(routes: []).lookup(.unspecified) == nil)
    }

    func longest<T: PrefixTable>(_ table: T, _ a: T.Address) -> UInt32? { table.lookup(a) }

    @Test func bothFamiliesBehindOneInterface() {
        let v4 = LPMTable(routes: [.init(prefix: 0x0A00_0000, length: 8, value: 1)])
        let v6 = IPv6PrefixTable(routes: [.init(prefix: IPv6Address.parse("2001:db8::")!, length: 32, value: 2)])
        #expect(longest(v4, 0x0A01_0203) == 1 && longest(v4, 0x0B00_0000) == nil)
        #expect(longest(v6, IPv6Address.parse("2001:db8:5::1")!) == 2 && longest(v6, IPv6Address.parse("2001:db9::1")!) == nil)
    }
}

/// blue (network 0, port 0) 10.1.0.0/24 and red (network 1, port 1, MTU 1000) 10.2.0.0/24, joined by
/// router 0 (gateways .1); a static route 10.9.0.0/16 via 10.2.0.254.
@Suite struct RouterStageTests {
    static let macBlue = MACAddress(2, 0x5e, 0, 0, 0, 1), macRed = MACAddress(2, 0x5e, 0, 0, 0, 2)
    static let gwBlue: UInt32 = 0x0A01_0001, gwRed: UInt32 = 0x0A02_0001
    static let hostA: UInt32 = 0x0A01_000A, hostB: UInt32 = 0x0A02_0014

    func harness() -> PipelineHarness {
        let h = PipelineHarness(ports: [0: 0, 1: 1])
        let interfaces = [
            RouterInterface(router: 0, network: 0, address: Self.gwBlue, prefixLength: 24, mac: Self.macBlue),
            RouterInterface(router: 0, network: 1, address: Self.gwRed, prefixLength: 24, mac: Self.macRed, mtu: 1000),
        ]
        let routes: [RouteEntry] = [
            .init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 0, gateway: 0), source: .connected),
            .init(prefix: 0x0A02_0000, length: 24, nextHop: .init(interface: 1, gateway: 0), source: .connected),
            .init(prefix: 0x0A09_0000, length: 16, nextHop: .init(interface: 1, gateway: 0x0A02_00FE), source: .static),
        ]
        h.pipeline.adopt(routing: Routing(routerNames: ["edge"], interfaces: interfaces, routes: [routes]))
        return h
    }

    func ip(from mac: MACAddress, to dst: MACAddress, _ packet: [UInt8]) -> [UInt8] {
        PacketBuilder.ethernet(destination: dst, source: mac, etherType: EtherType.ipv4, payload: packet)
    }
    func echo(_ src: UInt32, _ dst: UInt32, ttl: UInt8 = 64, size: Int = 32) -> [UInt8] {
        var i = [8, 0, 0, 0] + PacketBuilder.be16(7) + PacketBuilder.be16(1) + Array(repeating: 0x5A, count: size)
        let c = i.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count) }
        i[2] = UInt8(c >> 8); i[3] = UInt8(c & 0xFF)
        return PacketBuilder.ipv4(source: src, destination: dst, proto: IPProtocol.icmp, ttl: ttl, payload: i)
    }
    func checksumOK(_ header: ArraySlice<UInt8>) -> Bool {
        Array(header).withUnsafeBytes { Checksum.fold(Checksum.sum($0.baseAddress!, count: $0.count)) == 0xFFFF }
    }
    /// Teaches the router B's MAC the way hosts do: B answers the router's ARP request.
    func resolveB(_ h: PipelineHarness) {
        let out = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, Self.hostB)))
        #expect(out[1]?.count == 1, "an ARP request for B goes to red")
        _ = h.send(port: 1, PacketBuilder.arp(operation: 2, source: Hosts.b, destination: Self.macRed, senderIP: Self.hostB,
                                              targetMAC: Self.macRed, targetIP: Self.gwRed))
    }

    @Test func answersARPForItsGatewayAddress() throws {
        let h = harness()
        let out = h.send(port: 0, PacketBuilder.arpRequest(source: Hosts.a, senderIP: Self.hostA, targetIP: Self.gwBlue))
        let reply = try #require(out[0]?.first)
        #expect(out.count == 1 && out[0]?.count == 1)
        #expect(reply == PacketBuilder.arp(operation: 2, source: Self.macBlue, destination: Hosts.a, senderIP: Self.gwBlue,
                                           targetMAC: Hosts.a, targetIP: Self.hostA))
        #expect(h.send(port: 0, PacketBuilder.arpRequest(source: Hosts.a, senderIP: Self.hostA, targetIP: 0x0A01_0063)).isEmpty,
                "not its address: no answer")
        #expect(h.allFramesFree)
    }

    @Test func resolvesTheNextHopThenForwardsWithTTLAndMACsRewritten() throws {
        let h = harness()
        let packet = echo(Self.hostA, Self.hostB)
        let first = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, packet))
        let request = try #require(first[1]?.first)
        #expect(request == PacketBuilder.arp(operation: 1, source: Self.macRed, senderIP: Self.gwRed, targetIP: Self.hostB))
        #expect(first[0] == nil)
        // B answers: the waiting packet leaves, TTL 63, MACs of the red hop, header checksum still valid.
        let released = h.send(port: 1, PacketBuilder.arp(operation: 2, source: Hosts.b, destination: Self.macRed,
                                                         senderIP: Self.hostB, targetMAC: Self.macRed, targetIP: Self.gwRed))
        let sent = try #require(released[1]?.first)
        #expect(Array(sent[0..<6]) == Hosts.b.bytes && Array(sent[6..<12]) == Self.macRed.bytes)
        #expect(sent[14 + 8] == 63)
        #expect(checksumOK(sent[14..<34]))
        #expect(Array(sent[34...]) == Array(packet[20...]), "payload untouched")
        // Resolved now: the next packet goes straight out.
        let next = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, Self.hostB)))
        #expect(next[1]?.count == 1 && next[1]?.first?[22] == 63)
        #expect(h.pipeline.l3.neighbors.stats.resolved == 1)
        #expect(h.allFramesFree)
    }

    @Test func answersEchoToItsOwnAddresses() throws {
        let h = harness()
        let out = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, Self.gwRed)))
        let reply = try #require(out[0]?.first)
        #expect(Array(reply[0..<6]) == Hosts.a.bytes && Array(reply[6..<12]) == Self.macBlue.bytes)
        #expect(Array(reply[26..<30]) == PacketBuilder.be32(Self.gwRed) && Array(reply[30..<34]) == PacketBuilder.be32(Self.hostA))
        #expect(reply[34] == 0, "echo reply")
        #expect(checksumOK(reply[14..<34]))
        #expect(Array(reply[34...]).withUnsafeBytes { Checksum.fold(Checksum.sum($0.baseAddress!, count: $0.count)) } == 0xFFFF)
    }

    @Test func errorsComeBackAsICMPAndAreCounted() throws {
        let h = harness()
        let cases: [(packet: [UInt8], type: UInt8, code: UInt8, reason: DropReason)] = [
            (echo(Self.hostA, Self.hostB, ttl: 1), 11, 0, .ttlExceeded),
            (echo(Self.hostA, 0x0A63_0001), 3, 0, .noRoute),
            (echo(Self.hostA, Self.hostB, size: 1200), 3, 4, .fragmentationNeeded),
        ]
        var expected: [DropReason: UInt64] = [:]
        for c in cases {
            let out = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, c.packet))
            let icmp = try #require(out[0]?.first, "ICMP for \(c.reason)")
            #expect(Array(icmp[0..<6]) == Hosts.a.bytes && icmp[23] == IPProtocol.icmp)
            #expect(Array(icmp[26..<30]) == PacketBuilder.be32(Self.gwBlue) && Array(icmp[30..<34]) == PacketBuilder.be32(Self.hostA))
            #expect(icmp[34] == c.type && icmp[35] == c.code)
            #expect(Array(icmp[42..<62]) == Array(c.packet[0..<20]), "quotes the original header")
            if c.reason == .fragmentationNeeded { #expect(Array(icmp[40..<42]) == PacketBuilder.be16(1000)) }
            #expect(checksumOK(icmp[14..<34]))
            expected[c.reason, default: 0] += 1
        }
        #expect(h.drops(0) == expected)
        #expect(h.allFramesFree)
    }

    @Test func neverAnICMPErrorAboutAnICMPErrorAndBadHeadersAreDroppedSilently() {
        let h = harness()
        var error = PacketBuilder.ipv4(source: Self.hostA, destination: Self.hostB, proto: IPProtocol.icmp, ttl: 1,
                                       payload: [3, 1, 0, 0, 0, 0, 0, 0] + Array(repeating: 0, count: 28))
        #expect(h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, error)).isEmpty)
        error[10] ^= 0xFF   // break the header checksum
        #expect(h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, error)).isEmpty)
        var shortIHL = echo(Self.hostA, Self.hostB)
        shortIHL[0] = 0x44
        #expect(h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, shortIHL)).isEmpty)
        var long = echo(Self.hostA, Self.hostB)
        long[2] = 0x05   // total length 1280+ beyond the frame
        #expect(h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, long)).isEmpty)
        #expect(h.drops(0) == [.ttlExceeded: 1, .ipBadChecksum: 1, .ipBadHeader: 1, .ipBadLength: 1])
        #expect(h.pipeline.l3.stats.icmpErrorsSent == 0)
    }

    @Test func unsolicitedARPCreatesNothingButUpdatesWhatExists() {
        let h = harness()
        _ = h.send(port: 1, PacketBuilder.arp(operation: 2, source: Hosts.c, destination: Self.macRed, senderIP: 0x0A02_0063,
                                              targetMAC: Self.macRed, targetIP: Self.gwRed))
        #expect(h.pipeline.l3.neighbors.count == 0)
        resolveB(h)
        // B moves to a new MAC and says so with a gratuitous ARP: the entry follows.
        let moved = MACAddress(2, 0, 0, 0, 0, 0xbb)
        _ = h.send(port: 1, PacketBuilder.arp(operation: 1, source: moved, senderIP: Self.hostB, targetIP: Self.hostB))
        let out = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, Self.hostB)))
        #expect(out[1].map { Array($0[0][0..<6]) } == moved.bytes)
    }

    @Test func waitingPacketsAreBoundedAndASilentHostGetsHostUnreachable() throws {
        let h = harness()
        for _ in 0..<4 { _ = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, Self.hostB))) }
        #expect(h.drops(0) == [.arpQueueFull: 1])
        // Three more requests, one per second, then give up: three host unreachables back to A.
        var requests = 0
        var unreachables: [[UInt8]] = []
        for _ in 0..<5 {
            h.clock.advance(seconds: 1)
            h.pipeline.tick(now: h.clock.nowNanos)
            let out = h.drain()
            requests += out[1]?.count ?? 0
            unreachables += out[0] ?? []
        }
        #expect(requests == 2, "probes 2 and 3 (the first went out with the packet)")
        #expect(unreachables.count == 3 && unreachables.allSatisfy { $0[34] == 3 && $0[35] == 1 })
        #expect(h.drops(0) == [.arpQueueFull: 1, .hostUnreachable: 3])
        #expect(h.pipeline.l3.neighbors.count == 0 && h.pipeline.l3.neighbors.stats.failed == 1)
        #expect(h.allFramesFree)
    }

    @Test func routeChangesKeepNeighboursInterfaceChangesCountWhatWaited() {
        let h = harness()
        resolveB(h)
        let interfaces = h.pipeline.routing.interfaces
        var routes = h.pipeline.routing.routes[0]
        routes.append(.init(prefix: 0x0A08_0000, length: 16, nextHop: .init(interface: 1, gateway: 0x0A02_00FE), source: .static))
        h.pipeline.adopt(routing: Routing(routerNames: ["edge"], interfaces: interfaces, routes: [routes]))
        #expect(h.pipeline.l3.neighbors.count == 1, "a new route leaves what ARP learned alone")
        _ = h.send(port: 0, ip(from: Hosts.a, to: Self.macBlue, echo(Self.hostA, 0x0A02_001E)))   // waits for ARP
        var changed = interfaces
        changed[1].mtu = 9000
        h.pipeline.adopt(routing: Routing(routerNames: ["edge"], interfaces: changed, routes: [routes]))
        #expect(h.pipeline.l3.neighbors.count == 0)
        #expect(h.drops(0) == [.noRoute: 1], "the waiting packet is counted, not lost silently")
        #expect(h.allFramesFree)
    }

    @Test func twoRoutersWithTheSameSubnetsStayApart() throws {
        let h = PipelineHarness(ports: [0: 0, 1: 1, 2: 2, 3: 3])
        let r2Blue = MACAddress(2, 0x5e, 0, 0, 1, 1), r2Red = MACAddress(2, 0x5e, 0, 0, 1, 2)
        let interfaces = [
            RouterInterface(router: 0, network: 0, address: Self.gwBlue, prefixLength: 24, mac: Self.macBlue),
            RouterInterface(router: 0, network: 1, address: Self.gwRed, prefixLength: 24, mac: Self.macRed),
            RouterInterface(router: 1, network: 2, address: Self.gwBlue, prefixLength: 24, mac: r2Blue),
            RouterInterface(router: 1, network: 3, address: Self.gwRed, prefixLength: 24, mac: r2Red),
        ]
        func connected(_ a: UInt16, _ b: UInt16) -> [RouteEntry] {
            [.init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: a, gateway: 0), source: .connected),
             .init(prefix: 0x0A02_0000, length: 24, nextHop: .init(interface: b, gateway: 0), source: .connected)]
        }
        h.pipeline.adopt(routing: Routing(routerNames: ["t1", "t2"], interfaces: interfaces, routes: [connected(0, 1), connected(2, 3)]))
        let out = h.send(port: 2, ip(from: Hosts.a, to: r2Blue, echo(Self.hostA, Self.hostB)))
        #expect(Set(out.keys) == [3], "tenant 2's packet is resolved in tenant 2's red only")
        let arp = try #require(out[3]?.first)
        #expect(Array(arp[6..<12]) == r2Red.bytes)
    }
}

@Suite struct RouterEdgeTests {
    /// A router attached to a network that has no ports yet: packets routed there find nobody, never crash.
    @Test func routingIntoANetworkWithoutPortsFloodsToNobody() {
        let h = PipelineHarness(ports: [0: 0])
        let macBlue = MACAddress(2, 0x5e, 0, 0, 0, 1), macRed = MACAddress(2, 0x5e, 0, 0, 0, 2)
        h.pipeline.adopt(routing: Routing(routerNames: ["edge"], interfaces: [
            RouterInterface(router: 0, network: 0, address: 0x0A01_0001, prefixLength: 24, mac: macBlue),
            RouterInterface(router: 0, network: 5, address: 0x0A02_0001, prefixLength: 24, mac: macRed),
        ], routes: [[
            .init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 0, gateway: 0), source: .connected),
            .init(prefix: 0x0A02_0000, length: 24, nextHop: .init(interface: 1, gateway: 0), source: .connected),
        ]]))
        let packet = PacketBuilder.ethernet(destination: macBlue, source: Hosts.a, etherType: EtherType.ipv4,
                                            payload: PacketBuilder.icmpEcho(source: 0x0A01_000A, destination: 0x0A02_0014, identifier: 1, sequence: 1))
        #expect(h.send(port: 0, packet).isEmpty, "the ARP request for the host goes to no port: there is none in that network")
        #expect(h.pipeline.l3.neighbors.count == 1)
        h.pipeline.l3.flushNeighbors(pool: h.pool, counters: h.pipeline.counters)
        #expect(h.allFramesFree)
    }

    /// An ARP request to the router creates a neighbour entry only for a sender on the interface's subnet.
    @Test func arpFromOutsideTheSubnetCreatesNoNeighbour() {
        let h = PipelineHarness(ports: [0: 0])
        let mac = MACAddress(2, 0x5e, 0, 0, 0, 1)
        h.pipeline.adopt(routing: Routing(routerNames: ["edge"], interfaces: [
            RouterInterface(router: 0, network: 0, address: 0x0A01_0001, prefixLength: 24, mac: mac),
        ], routes: [[.init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 0, gateway: 0), source: .connected)]]))
        // 1 000 requests from senders all over the address space: answered or not, none is remembered.
        for i in 0..<1000 {
            let sender = 0x0B00_0000 + UInt32(i) * 4099
            _ = h.send(port: 0, PacketBuilder.arpRequest(source: Hosts.b, senderIP: sender, targetIP: 0x0A01_0001))
        }
        #expect(h.pipeline.l3.neighbors.count == 0)
        let reply = h.send(port: 0, PacketBuilder.arpRequest(source: Hosts.a, senderIP: 0x0A01_000A, targetIP: 0x0A01_0001))
        #expect(reply[0]?.count == 1, "a sender on the subnet is answered")
        #expect(h.pipeline.l3.neighbors.count == 1, "and remembered")
    }

    /// ICMP errors are budgeted per router: one tenant provoking its router to its limit leaves the other
    /// tenant's router its whole budget.
    @Test func icmpErrorBudgetIsPerRouter() {
        let h = PipelineHarness(ports: [0: 0, 1: 1])
        let m0 = MACAddress(2, 0x5e, 0, 0, 0, 1), m1 = MACAddress(2, 0x5e, 0, 0, 1, 1)
        h.pipeline.adopt(routing: Routing(routerNames: ["t1", "t2"], interfaces: [
            RouterInterface(router: 0, network: 0, address: 0x0A01_0001, prefixLength: 24, mac: m0),
            RouterInterface(router: 1, network: 1, address: 0x0A01_0001, prefixLength: 24, mac: m1),
        ], routes: [[.init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 0, gateway: 0), source: .connected)],
                    [.init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 1, gateway: 0), source: .connected)]]))
        func unroutable(_ mac: MACAddress) -> [UInt8] {
            PacketBuilder.ethernet(destination: mac, source: Hosts.a, etherType: EtherType.ipv4,
                                   payload: PacketBuilder.icmpEcho(source: 0x0A01_000A, destination: 0x0C00_0001, identifier: 1, sequence: 1))
        }
        var fromFirst = 0
        for _ in 0..<Int(L3Stage.icmpBurst) + 50 { fromFirst += h.send(port: 0, unroutable(m0))[0]?.count ?? 0 }
        #expect(fromFirst == Int(L3Stage.icmpBurst), "the first router stops at its budget")
        #expect(h.pipeline.l3.stats.icmpRateLimited == 50)
        // The same counters reach the operator through the stage-counter channel (swivelctl stats).
        let reported = h.pipeline.stageCounters()
        #expect(reported.contains(StageCounter(stage: "l3", name: "icmp-rate-limited", value: 50)))
        #expect(reported.contains(StageCounter(stage: "l3", name: "icmp-errors-sent", value: UInt64(L3Stage.icmpBurst))))
        var fromSecond = 0
        for _ in 0..<10 { fromSecond += h.send(port: 1, unroutable(m1))[1]?.count ?? 0 }
        #expect(fromSecond == 10, "the second router still has all of its own")
        #expect(h.allFramesFree)
    }
}
