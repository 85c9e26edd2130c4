import Glibc
import Testing
import SwivelAddress

/// The platform-free address parsers and printers, checked against glibc's inet_pton/inet_ntop (which
/// they replace) on the RFC 5952 examples and on random addresses rich in zero runs.
@Suite struct IPAddressTests {
    func glibcParse(_ text: String) -> IPv6Address? {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        return withUnsafeBytes(of: &raw) { IPv6Address(loadingFrom: $0.baseAddress!) }
    }

    func glibcText(_ a: IPv6Address) -> String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) {
            $0.storeBytes(of: a.high.bigEndian, as: UInt64.self)
            $0.storeBytes(of: a.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &raw, &buf, socklen_t(buf.count))
        return String(cString: buf)
    }

    @Test(arguments: ["::", "::1", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "ff02::1:ff00:5", "fe80::200:5eff:fe00:5301",
                      "::ffff:10.0.0.1", "::10.0.0.1", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "2001:db8::1:0:0:1",
                      "1:2:3:4:5:6:7:8", "1::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "0:0:0:0:0:0:0:0"])
    func parsesAndPrintsAsGlibcDoes(_ text: String) throws {
        let mine = try #require(IPv6Address.parse(text))
        #expect(mine == glibcParse(text))
        #expect(mine.description == glibcText(mine))
        #expect(IPv6Address.parse(mine.description) == mine)
    }

    @Test(arguments: ["", ":", ":::", "1:::2", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::1.2.3",
                      "::1.2.3.256", "1.2.3.4::", "::ffff:1.2.3.4:5", "fe80::1%eth0", "[::1]", " ::1", "1:2:3:4:5:6:7::8:9"])
    func refusesWhatGlibcRefuses(_ text: String) {
        #expect(IPv6Address.parse(text) == nil)
        #expect(glibcParse(text) == nil)
    }

    @Test func randomAddressesPrintAsGlibcPrintsThem() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Groups that are zero half of the time, so runs of every length and position appear.
            let groups = (0..<8).map { _ in Bool.random(using: &rng) ? 0 : UInt16.random(in: 0...0xFFFF, using: &rng) }
            var a = IPv6Address(groups: groups)
            if Int.random(in: 0..<8, using: &rng) == 0 { a.high = 0; a.low = 0xFFFF_0000_0000 | (a.low & 0xFFFF_FFFF) }
            #expect(a.description == glibcText(a), "\(groups)")
            #expect(IPv6Address.parse(a.description) == a)
        }
    }

    @Test func prefixes() throws {
        let v4 = try #require(IPv4Prefix("10.1.2.3/16"))
        #expect(v4.network == 0x0A01_0000 && v4.description == "10.1.0.0/16" && v4.contains(0x0A01_FFFF) && !v4.contains(0x0A02_0000))
        #expect(IPv4Prefix("10.1.2.3/33") == nil && IPv4Prefix("10.1.2/8") == nil && IPv4Prefix("10.1.2.3") == nil)
        #expect(IPv4Prefix("0.0.0.0/0")?.contains(0xFFFF_FFFF) == true)

        let v6 = try #require(IPv6Prefix("2001:db8:1:2::5/48"))
        #expect(v6.description == "2001:db8:1::/48")
        #expect(v6.contains(IPv6Address.parse("2001:db8:1:ffff::1")!) && !v6.contains(IPv6Address.parse("2001:db8:2::1")!))
        #expect(IPv6Prefix("::/0")?.contains(IPv6Address.parse("ff02::1")!) == true)
        #expect(IPv6Prefix("2001:db8::1/128")?.contains(IPv6Address.parse("2001:db8::1")!) == true)
        #expect(IPv6Prefix("2001:db8::1/128")?.contains(IPv6Address.parse("2001:db8::2")!) == false)
        #expect(IPv6Prefix("2001:db8::/96")?.contains(IPv6Address.parse("2001:db8::1.2.3.4")!) == true)
        #expect(IPv6Prefix("2001:db8::/129") == nil && IPv6Prefix("2001:db8::") == nil)
    }

    @Test func linkLocalFromMAC() {
        #expect(IPv6Address.linkLocal(eui64: MACAddress(0x00, 0x00, 0x5E, 0x00, 0x53, 0x01)).description == "fe80::200:5eff:fe00:5301")
    }
}
