import Testing
import SwivelPacket
@testable import SwivelPorts
import SwivelAddress

@Suite struct PacketFilterTests {
    let icmp = PacketBuilder.ethernet(destination: .broadcast, source: MACAddress(2, 0, 0, 0, 0, 1), etherType: EtherType.ipv4,
                                      payload: PacketBuilder.icmpEcho(source: 0x0A00_0001, destination: 0x0A00_0002, identifier: 1, sequence: 1))
    let udp = PacketBuilder.ethernet(destination: .broadcast, source: MACAddress(2, 0, 0, 0, 0, 1), etherType: EtherType.ipv4,
                                     payload: PacketBuilder.udp(source: 0x0A00_0001, destination: 0x0A00_0003, sourcePort: 1, destinationPort: 53, payload: [1]))

    @Test func matchesLikeTcpdump() throws {
        let f = try PacketFilter("icmp and dst host 10.0.0.2")
        #expect(icmp.withUnsafeBytes { f.matches($0.baseAddress!, length: $0.count) })
        #expect(!udp.withUnsafeBytes { f.matches($0.baseAddress!, length: $0.count) })
        let port = try PacketFilter("udp port 53")
        #expect(udp.withUnsafeBytes { port.matches($0.baseAddress!, length: $0.count) })
    }

    @Test func badExpressionsAreErrorsWithLibpcapsReason() {
        #expect(throws: PacketFilter.Invalid.self) { try PacketFilter("icmp and and") }
    }
}
