import Testing
import SwivelAddress

@Suite struct MACAddressTests {
    @Test func parsesAndFormats() throws {
        let mac = try #require(MACAddress("02:5e:00:AB:cd:01"))
        #expect(mac.rawValue == 0x025E_00AB_CD01)
        #expect(mac.description == "02:5e:00:ab:cd:01")
        #expect(MACAddress("02:5e:00:ab:cd") == nil)
        #expect(MACAddress("02:5e:00:ab:cd:zz") == nil)
        #expect(MACAddress("2:5e:00:ab:cd:01") == nil)
    }

    @Test func classifiesGroupAndLinkLocal() throws {
        #expect(MACAddress.broadcast.isMulticast && MACAddress.broadcast.isBroadcast)
        #expect(try #require(MACAddress("01:00:5e:00:00:01")).isMulticast)
        #expect(!(try #require(MACAddress("02:00:00:00:00:01")).isMulticast))
        #expect(try #require(MACAddress("01:80:c2:00:00:00")).isLinkLocal)
        #expect(try #require(MACAddress("01:80:c2:00:00:0e")).isLinkLocal)
        #expect(!(try #require(MACAddress("01:80:c2:00:00:10")).isLinkLocal))
    }

    @Test func loadsAndStoresNetworkOrder() {
        let bytes: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]
        let mac = bytes.withUnsafeBytes { MACAddress(loadingFrom: $0.baseAddress!) }
        #expect(mac.bytes == bytes)
        var out = [UInt8](repeating: 0, count: 6)
        out.withUnsafeMutableBytes { mac.store(to: $0.baseAddress!) }
        #expect(out == bytes)
    }
}
