import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

/// Port 0 is pinned to MAC A with 10.0.0.10 and 2001:db8::10; port 1 to MAC B without IPs (MAC only);
/// port 2 has no port security. All in one network.
@Suite struct PortSecurityTests {
    static let ipA: UInt32 = 0x0A00_000A, ipB: UInt32 = 0x0A00_000B, ipC: UInt32 = 0x0A00_000C
    static let ip6A = IPv6Address.parse("2001:db8::10")!
    func harness() -> PipelineHarness {
        PipelineHarness(memberships: [0: .access(0), 1: .access(0), 2: .access(0)],
                        security: [0: PortSecurityPolicy(addresses: [.init(mac: Hosts.a, ipv4: [Self.ipA], ipv6: [Self.ip6A])]),
                                   1: PortSecurityPolicy(addresses: [.init(mac: Hosts.b)])])
    }
    func ipv4(from mac: MACAddress, _ packet: [UInt8]) -> [UInt8] {
        PacketBuilder.ethernet(destination: .broadcast, source: mac, etherType: EtherType.ipv4, payload: packet)
    }
    func ipv6(from mac: MACAddress, source: IPv6Address, _ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        PacketBuilder.ethernet(destination: MACAddress(0x33, 0x33, 0, 0, 0, 1), source: mac, etherType: EtherType.ipv6,
                               payload: PacketBuilder.ipv6(source: source, destination: IPv6Address.parse("ff02::1")!,
                                                           nextHeader: next, payload: payload))
    }
    func neighbourAdvertisement(target: IPv6Address) -> [UInt8] {
        [136, 0, 0, 0, 0x20, 0, 0, 0] + PacketBuilder.be64(target.high) + PacketBuilder.be64(target.low)
    }

    @Test func legitimateTrafficPasses() {
        let h = harness()
        let frames: [[UInt8]] = [
            PacketBuilder.arpRequest(source: Hosts.a, senderIP: Self.ipA, targetIP: Self.ipC),
            PacketBuilder.arp(operation: 1, source: Hosts.a, senderIP: 0, targetIP: Self.ipA),   // probe
            ipv4(from: Hosts.a, PacketBuilder.icmpEcho(source: Self.ipA, destination: Self.ipC, identifier: 1, sequence: 1)),
            ipv4(from: Hosts.a, PacketBuilder.udp(source: 0, destination: 0xFFFF_FFFF, sourcePort: 68, destinationPort: 67, payload: [1])),
            ipv6(from: Hosts.a, source: Self.ip6A, IPProtocol.icmpv6, neighbourAdvertisement(target: Self.ip6A)),
            ipv6(from: Hosts.a, source: .linkLocal(eui64: Hosts.a), IPProtocol.icmpv6,
                 neighbourAdvertisement(target: .linkLocal(eui64: Hosts.a))),
            ipv6(from: Hosts.a, source: .unspecified, IPProtocol.icmpv6, [135, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 0, count: 16)),
            // MAC-only port: any addresses with its own MAC.
            ipv4(from: Hosts.b, PacketBuilder.icmpEcho(source: 0xC0A8_0101, destination: Self.ipC, identifier: 1, sequence: 1)),
        ]
        for (i, f) in frames.enumerated() {
            let port: UInt16 = i == frames.count - 1 ? 1 : 0
            #expect(h.send(port: port, f)[2]?.count == 1, "frame \(i) should reach port 2")
        }
        #expect(h.drops(0).isEmpty && h.drops(1).isEmpty)
    }

    @Test func forgeriesAreDroppedUnderTheirOwnReasons() {
        let h = harness()
        let cases: [(frame: [UInt8], reason: DropReason)] = [
            (Hosts.frame(from: Hosts.c, to: .broadcast), .portSecurityMAC),
            (PacketBuilder.arpRequest(source: Hosts.a, senderIP: Self.ipB, targetIP: Self.ipC), .portSecurityARP),
            (PacketBuilder.arp(operation: 2, source: Hosts.a, senderMAC: Hosts.c, senderIP: Self.ipA, targetIP: Self.ipC), .portSecurityARP),
            (ipv4(from: Hosts.a, PacketBuilder.icmpEcho(source: Self.ipB, destination: Self.ipC, identifier: 1, sequence: 1)), .portSecurityIP),
            (ipv4(from: Hosts.a, PacketBuilder.icmpEcho(source: 0, destination: Self.ipC, identifier: 1, sequence: 1)), .portSecurityIP),
            (ipv4(from: Hosts.a, PacketBuilder.udp(source: Self.ipA, destination: Self.ipC, sourcePort: 67, destinationPort: 68, payload: [2])), .dhcpServerGuard),
            (ipv6(from: Hosts.a, source: .linkLocal(eui64: Hosts.a), IPProtocol.icmpv6, [134, 0, 0, 0] + Array(repeating: 0, count: 12)), .raGuard),
            // A router advertisement behind a hop-by-hop header is still one.
            (ipv6(from: Hosts.a, source: .linkLocal(eui64: Hosts.a), 0, [IPProtocol.icmpv6, 0, 1, 4, 0, 0, 0, 0] + [134, 0, 0, 0] + Array(repeating: 0, count: 12)), .raGuard),
            (ipv6(from: Hosts.a, source: Self.ip6A, IPProtocol.icmpv6, neighbourAdvertisement(target: IPv6Address.parse("2001:db8::99")!)), .ndSpoof),
            (ipv6(from: Hosts.a, source: IPv6Address.parse("2001:db8::99")!, IPProtocol.udp, [0, 1, 0, 2, 0, 8, 0, 0]), .portSecurityIP),
            (ipv6(from: Hosts.a, source: Self.ip6A, IPProtocol.udp, [2, 0x23, 2, 0x22, 0, 8, 0, 0]), .dhcpServerGuard),
            (PacketBuilder.ethernet(destination: .broadcast, source: Hosts.a, etherType: EtherType.arp, payload: [0, 1, 8, 0]), .portSecurityARP),
        ]
        var expected: [DropReason: UInt64] = [:]
        for (i, c) in cases.enumerated() {
            #expect(h.send(port: 0, c.frame).isEmpty, "case \(i) should be dropped")
            expected[c.reason, default: 0] += 1
        }
        #expect(h.drops(0) == expected)
        // The forged source MAC was never learned.
        #expect(h.pipeline.l2.fdb.lookup(network: 0, mac: Hosts.c, now: h.clock.nowNanos) == nil)
        #expect(h.allFramesFree)
    }

    /// Extension-header chains of any length are walked to the end; what cannot be walked is dropped.
    @Test func guardsSeeThroughAnyHeaderChainAndRefuseWhatTheyCannotParse() {
        let h = harness()
        let ll = IPv6Address.linkLocal(eui64: Hosts.a)
        let ra: [UInt8] = [134, 0, 0, 0] + Array(repeating: 0, count: 12)
        func hopByHop(_ next: UInt8) -> [UInt8] { [next, 0, 1, 4, 0, 0, 0, 0] }
        // Nine hop-by-hop headers (the old walk gave up after eight) in front of an RA.
        let chain = (0..<8).flatMap { _ in hopByHop(0) } + hopByHop(IPProtocol.icmpv6)
        // A chain announcing a header longer than the packet.
        let cut: [UInt8] = [IPProtocol.icmpv6, 200, 0, 0, 0, 0, 0, 0]
        // A first fragment that holds only the fragment header: the RA would follow in the next fragment.
        let tinyFirstFragment: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 7] + hopByHop(IPProtocol.icmpv6)
        // A later fragment carries no headers to judge: it passes on the source check (the first was dropped).
        let laterFragment: [UInt8] = [IPProtocol.icmpv6, 0, 0, 0x11, 0, 0, 0, 7] + ra
        let cases: [(frame: [UInt8], reason: DropReason?)] = [
            (ipv6(from: Hosts.a, source: ll, 0, chain + ra), .raGuard),
            (ipv6(from: Hosts.a, source: ll, 0, cut), .ipv6BadHeaderChain),
            (ipv6(from: Hosts.a, source: ll, 44, tinyFirstFragment), .ipv6BadHeaderChain),
            (ipv6(from: Hosts.a, source: ll, IPProtocol.icmpv6, [134, 0]), .ipv6BadHeaderChain),
            (ipv6(from: Hosts.a, source: ll, 44, laterFragment), nil),
        ]
        var expected: [DropReason: UInt64] = [:]
        for (i, c) in cases.enumerated() {
            let out = h.send(port: 0, c.frame)
            if let reason = c.reason {
                #expect(out.isEmpty, "case \(i) should be dropped")
                expected[reason, default: 0] += 1
            } else {
                #expect(out[2]?.count == 1, "case \(i) should pass")
            }
        }
        #expect(h.drops(0) == expected)
        #expect(h.allFramesFree)
    }

    /// Link-layer address options point neighbours' caches at a MAC: only the port's own may be named.
    @Test func neighbourDiscoveryLinkLayerOptionsMustBeThePortsMAC() {
        let h = harness()
        let target = Self.ip6A
        func option(_ kind: UInt8, _ mac: MACAddress) -> [UInt8] { [kind, 1] + mac.bytes }
        let solicitation = [135, 0, 0, 0, 0, 0, 0, 0] + PacketBuilder.be64(target.high) + PacketBuilder.be64(target.low)
        let advertisement = neighbourAdvertisement(target: target)
        let cases: [(payload: [UInt8], dropped: Bool)] = [
            (solicitation + option(1, Hosts.a), false),
            (solicitation + option(1, Hosts.c), true),          // source link-layer address of another host
            (advertisement + option(2, Hosts.a), false),
            (advertisement + option(2, Hosts.c), true),         // target link-layer address of another host
            (advertisement + [2, 0, 0, 0, 0, 0, 0, 0], true),   // an option of length 0 (RFC 4861: invalid)
        ]
        for (i, c) in cases.enumerated() {
            let out = h.send(port: 0, ipv6(from: Hosts.a, source: Self.ip6A, IPProtocol.icmpv6, c.payload))
            #expect(out.isEmpty == c.dropped, "case \(i)")
        }
        #expect(h.drops(0) == [.ndSpoof: 3])
    }

    @Test func portsWithoutPortSecurityAreUntouched() {
        let h = harness()
        let forged = PacketBuilder.arpRequest(source: Hosts.c, senderIP: Self.ipA, targetIP: Self.ipB)
        #expect(Set(h.send(port: 2, forged).keys) == [0, 1])
        #expect(h.drops(2).isEmpty)
    }
}
