import Testing
import SwivelAddress
import SwivelPacket

/// The header views read the fields the builders wrote, and the IPv6 walk finds the upper layer behind
/// extension headers or refuses a chain that runs past the packet.
@Suite struct HeaderViewTests {
    let a = IPv6Address(high: 0x2001_0db8_0000_0000, low: 1), b = IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)

    /// An IPv6 packet whose payload is `extensions` (each: next header, length byte, padding to its size)
    /// followed by `upper` bytes of an upper-layer header.
    func ipv6(first: UInt8, extensions: [(next: UInt8, bytes: Int)], upper: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        for e in extensions {
            var h = [UInt8](repeating: 0, count: e.bytes)
            h[0] = e.next
            h[1] = UInt8(e.bytes / 8 - 1)
            payload += h
        }
        return PacketBuilder.ipv6(source: a, destination: b, nextHeader: first, hopLimit: 64, payload: payload + upper)
    }

    /// The walk's answer (nil: the chain runs past the packet).
    func walk(_ packet: [UInt8], available: Int? = nil) -> IPv6Header.UpperLayer? {
        packet.withUnsafeBytes { raw in
            IPv6Header(raw.baseAddress!, at: 0, available: available ?? raw.count)!.upperLayer(available: available ?? raw.count)
        }
    }

    @Test func ipv6FindsTheUpperLayerBehindExtensionHeaders() throws {
        let plain = ipv6(first: IPProtocol.udp, extensions: [], upper: [0, 53, 0, 53, 0, 8, 0, 0])
        let p = try #require(walk(plain))
        #expect(p.proto == IPProtocol.udp && p.offset == 40 && !p.laterFragment)

        // Hop-by-hop (8 bytes), then destination options (16 bytes), then ICMPv6.
        let chained = ipv6(first: 0, extensions: [(60, 8), (IPProtocol.icmpv6, 16)], upper: [135, 0, 0, 0])
        let c = try #require(walk(chained))
        #expect(c.proto == IPProtocol.icmpv6 && c.offset == 64)
        #expect(chained.withUnsafeBytes { ICMPv6Header(unchecked: $0.baseAddress! + 64).type } == ICMPv6Header.neighborSolicitation)

        // The same chain cut before the second extension header's first 8 bytes: refused, not passed.
        #expect(walk(chained, available: 52) == nil)
        // Cut after them: the walk goes on, and the upper layer's offset lies past the end, which is what
        // the caller checks before reading it.
        #expect(walk(chained, available: 60)?.offset == 64)
    }

    @Test func aLaterFragmentCarriesNoUpperLayer() throws {
        var packet = ipv6(first: 44, extensions: [(IPProtocol.tcp, 8)], upper: [1, 2, 3, 4])
        packet[40 + 1] = 0                                  // the fragment header's reserved byte
        packet[40 + 2] = 0x00; packet[40 + 3] = 0x08        // offset 1 (8 bytes)
        let w = try #require(walk(packet))
        #expect(w.laterFragment && w.proto == IPProtocol.tcp)
    }

    @Test func ipv4TransportAndARPFields() throws {
        let syn = PacketBuilder.ipv4(source: 0x0A00_0001, destination: 0x0A00_0002, proto: IPProtocol.tcp,
                                     payload: [0x9C, 0x40, 0x00, 0x50, 0, 0, 0, 100, 0, 0, 0, 0, 0x60, 0x02, 0xFF, 0xFF, 0, 0, 0, 0,
                                               1, 3, 3, 7])   // NOP, window scale 7
        let fields = syn.withUnsafeBytes { raw -> (UInt32, UInt8, UInt16, UInt16, UInt32, UInt8, UInt8, Int) in
            let ip = IPv4Header(raw.baseAddress!, at: 0, available: raw.count)!
            let tcp = TCPHeader(unchecked: ip.base + ip.headerLength)
            return (ip.source, ip.proto, tcp.sourcePort, tcp.destinationPort, tcp.sequence, tcp.flags, tcp.windowScale, tcp.dataOffset)
        }
        #expect(fields.0 == 0x0A00_0001 && fields.1 == IPProtocol.tcp && fields.2 == 40000 && fields.3 == 80)
        #expect(fields.4 == 100 && fields.5 == TCPHeader.syn && fields.6 == 7 && fields.7 == 24)

        let arp = PacketBuilder.arpRequest(source: MACAddress(2, 0, 0, 0, 0, 1), senderIP: 0x0A00_0001, targetIP: 0x0A00_0002)
        let read = arp.withUnsafeBytes { raw -> (Bool, UInt16, UInt32, UInt32)? in
            ARPHeader(raw.baseAddress!, at: 14, available: raw.count - 14).map { ($0.isEthernetIPv4, $0.operation, $0.senderIP, $0.targetIP) }
        }
        #expect(read?.0 == true && read?.1 == 1 && read?.2 == 0x0A00_0001 && read?.3 == 0x0A00_0002)
        #expect(arp.withUnsafeBytes { ARPHeader($0.baseAddress!, at: 14, available: 27) } == nil)
    }
}
