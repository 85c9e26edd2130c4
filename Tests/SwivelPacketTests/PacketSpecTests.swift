import Testing
@testable import SwivelPacket
import SwivelAddress

@Suite struct PacketSpecTests {
    @Test func buildsTheDescribedTCPPacket() throws {
        let spec = try PacketSpec.parse("eth_src=02:00:00:00:00:0a, eth_dst=02:00:00:00:00:0b,ip_dst=10.2.0.5,tcp,tcp_dst=443")
        let f = spec.build()
        let eth = try f.withUnsafeBytes { try Ethernet.parse($0.baseAddress!, length: $0.count).get() }
        #expect(eth.source == MACAddress(2, 0, 0, 0, 0, 0xa) && eth.destination == MACAddress(2, 0, 0, 0, 0, 0xb))
        #expect(eth.etherType == EtherType.ipv4)
        let ip = try #require(f.withUnsafeBytes { b in
            IPv4Header(b.baseAddress!, at: 14, available: b.count - 14).map { ($0.destination, $0.proto, $0.isWellFormed(available: b.count - 14)) }
        })
        #expect(ip.0 == IPv4Address.parse("10.2.0.5") && ip.1 == IPProtocol.tcp && ip.2)
        #expect(Int(f[36]) << 8 | Int(f[37]) == 443)
    }

    @Test func vlanAndArp() throws {
        let f = try PacketSpec.parse("arp,vlan=20").build()
        let eth = try f.withUnsafeBytes { try Ethernet.parse($0.baseAddress!, length: $0.count).get() }
        #expect(eth.vlan == 20 && eth.etherType == EtherType.arp && eth.destination == .broadcast)
    }

    @Test func rejectsNonsenseWithAReason() {
        #expect(throws: PacketSpec.Invalid.self) { try PacketSpec.parse("eth_src=nope") }
        #expect(throws: PacketSpec.Invalid.self) { try PacketSpec.parse("ip_dst=10.1") }
        #expect(throws: PacketSpec.Invalid.self) { try PacketSpec.parse("colour=red") }
        #expect(throws: PacketSpec.Invalid.self) { try PacketSpec.parse("tcp_dst") }
        #expect(throws: PacketSpec.Invalid.self) { try PacketSpec.parseHex("abc") }
        let bytes = try? PacketSpec.parseHex("ff:ff 01")
        #expect(bytes == [0xff, 0xff, 0x01])
    }
}
