import Testing
@testable import SwivelPacket
import SwivelAddress


@Suite struct EthernetParseTests {
    let a = MACAddress(2, 0, 0, 0, 0, 0xa), b = MACAddress(2, 0, 0, 0, 0, 0xb)

    @Test func parsesUntagged() throws {
        let f = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.ipv4, payload: [1, 2, 3])
        let info = try f.withUnsafeBytes { try Ethernet.parse($0.baseAddress!, length: $0.count).get() }
        #expect(info == EthernetInfo(destination: b, source: a, vlan: 0, tagCount: 0, etherType: EtherType.ipv4, l3Offset: 14))
    }

    @Test func skipsVLANTag() throws {
        let f = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.arp, vlan: 10, payload: [0])
        let info = try f.withUnsafeBytes { try Ethernet.parse($0.baseAddress!, length: $0.count).get() }
        #expect(info.vlan == 10 && info.tagCount == 1 && info.etherType == EtherType.arp && info.l3Offset == 18)
    }

    @Test(arguments: 0..<14) func rejectsRunts(length: Int) {
        let bytes = [UInt8](repeating: 0xAB, count: 14)
        let r = bytes.withUnsafeBytes { Ethernet.parse($0.baseAddress!, length: length) }
        #expect(throws: ParseError.runt) { try r.get() }
    }

    @Test func rejectsTruncatedTag() {
        let f = PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.arp, vlan: 10, payload: [])
        let r = f.withUnsafeBytes { Ethernet.parse($0.baseAddress!, length: 16) }
        #expect(throws: ParseError.truncatedTag) { try r.get() }
    }

    @Test func garbageNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let n = Int.random(in: 0...64, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Bias towards tag ethertypes so the tag loop is exercised.
            if n >= 14 && Bool.random() { bytes[12] = 0x81; bytes[13] = 0x00 }
            let r = bytes.withUnsafeBytes { Ethernet.parse($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, length: n) }
            if case .success(let info) = r { #expect(Int(info.l3Offset) <= n) }
            let wellFormed = bytes.withUnsafeBytes { b -> (Bool, Int)? in
                IPv4Header(b.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, at: 0, available: n).map { ($0.isWellFormed(available: n), $0.totalLength) }
            }
            if let (ok, total) = wellFormed, ok { #expect(total <= n) }
            if n < IPv4Header.minimumLength { #expect(wellFormed == nil) }
        }
    }

    @Test func ipv4Validation() {
        let good = PacketBuilder.ipv4(source: 0x0A00_0001, destination: 0x0A00_0002, proto: 17, payload: [0, 0])
        func check(_ bytes: [UInt8], available: Int? = nil) -> Bool? {
            bytes.withUnsafeBytes { b in
                IPv4Header(b.baseAddress!, at: 0, available: available ?? b.count).map { $0.isWellFormed(available: available ?? b.count) }
            }
        }
        #expect(good.withUnsafeBytes { IPv4Header(unchecked: $0.baseAddress!).totalLength } == 22)
        #expect(check(good) == true)
        var badVersion = good; badVersion[0] = 0x65
        #expect(check(badVersion) == false)
        var badIHL = good; badIHL[0] = 0x44
        #expect(check(badIHL) == false)
        #expect(check(good, available: 21) == false, "the total length runs past the bytes")
        #expect(check(good, available: 19) == nil, "no view without a whole fixed header")
    }
}

@Suite struct ChecksumTests {
    @Test func rfc1071Example() {
        // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (folded).
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        #expect(bytes.withUnsafeBytes { Checksum.fold(Checksum.sum($0.baseAddress!, count: 8)) } == 0xddf2)
    }

    @Test func builtHeadersVerify() {
        let ip = PacketBuilder.ipv4(source: 0xC0A8_0001, destination: 0xC0A8_00C7, proto: 6, payload: [])
        #expect(ip.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: 20) } == 0)
        let odd: [UInt8] = [1, 2, 3]
        #expect(odd.withUnsafeBytes { Checksum.sum($0.baseAddress!, count: 3) } == 0x0102 + 0x0300)
    }
}
