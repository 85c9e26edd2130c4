import Testing
import SwivelPacket
@testable import SwivelPipeline

/// Networks blue (0, VLAN 10) and red (1, VLAN 20), green (2, VLAN 30) as the trunk's native network:
/// ports 0, 1 access blue; 2 access red; 3 trunk blue+red with native green; 4 access green;
/// 5 trunk carrying only red.
@Suite struct VlanTests {
    static let blue: UInt16 = 0, red: UInt16 = 1, green: UInt16 = 2
    func harness() -> PipelineHarness {
        PipelineHarness(memberships: [
            0: .access(Self.blue), 1: .access(Self.blue), 2: .access(Self.red),
            3: .trunk([10: Self.blue, 20: Self.red], native: Self.green),
            4: .access(Self.green), 5: .trunk([20: Self.red]),
        ])
    }

    func tagged(_ frame: [UInt8], _ vid: UInt16, tpid: UInt16 = EtherType.vlan) -> [UInt8] {
        Array(frame[0..<12]) + PacketBuilder.be16(tpid) + PacketBuilder.be16(vid) + Array(frame[12...])
    }

    @Test func broadcastFromAnAccessPortLeavesTheTrunkTaggedAndStaysInItsNetwork() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.a, to: .broadcast)
        let out = h.send(port: 0, frame)
        #expect(Set(out.keys) == [1, 3])
        #expect(out[1] == [frame])
        #expect(out[3] == [tagged(frame, 10)])
        #expect(h.allFramesFree)
    }

    @Test func taggedFramesFromTheTrunkArriveUntaggedInTheirNetworkOnly() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        let red = h.send(port: 3, tagged(frame, 20))
        #expect(Set(red.keys) == [2, 5])
        #expect(red[2] == [frame])
        #expect(red[5] == [tagged(frame, 20)], "trunk to trunk keeps the tag")
        let untagged = h.send(port: 3, frame)
        #expect(untagged == [4: [frame]], "untagged on the trunk is the native network, sent untagged")
        #expect(h.allFramesFree)
    }

    @Test func learnedAddressesAreSeparatePerNetwork() {
        let h = harness()
        // The same MAC appears in blue on port 0 and in red via the trunk: two entries, no MAC move.
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))
        _ = h.send(port: 3, tagged(Hosts.frame(from: Hosts.a, to: .broadcast), 20))
        #expect(h.pipeline.l2.fdb.lookup(network: Self.blue, mac: Hosts.a, now: h.clock.nowNanos) == 0)
        #expect(h.pipeline.l2.fdb.lookup(network: Self.red, mac: Hosts.a, now: h.clock.nowNanos) == 3)
        #expect(h.pipeline.l2.fdb.stats.moved == 0)
        // Known unicast to A from red goes back to the trunk, tagged 20; from blue to port 0, untagged.
        let toRed = h.send(port: 2, Hosts.frame(from: Hosts.c, to: Hosts.a))
        #expect(toRed == [3: [tagged(Hosts.frame(from: Hosts.c, to: Hosts.a), 20)]])
        let toBlue = h.send(port: 1, Hosts.frame(from: Hosts.c, to: Hosts.a))
        #expect(toBlue == [0: [Hosts.frame(from: Hosts.c, to: Hosts.a)]])
    }

    @Test func unknownVLANsTaggedAccessFramesAndQinQAreDroppedWithTheirReasons() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.a, to: .broadcast)
        #expect(h.send(port: 3, tagged(frame, 99)).isEmpty)
        #expect(h.drops(3) == [.vlanNotAllowed: 1])
        // VLAN hopping: a tagged frame on an access port goes nowhere, whatever its VLAN.
        #expect(h.send(port: 0, tagged(frame, 20)).isEmpty)
        #expect(h.drops(0) == [.vlanTaggedOnAccess: 1])
        #expect(h.send(port: 5, frame).isEmpty, "untagged on a trunk without a native network")
        #expect(h.drops(5) == [.vlanNotAllowed: 1])
        #expect(h.send(port: 3, tagged(tagged(frame, 10), 100, tpid: EtherType.qinq)).isEmpty)
        #expect(h.drops(3) == [.vlanNotAllowed: 1, .qinqUnsupported: 1])
        #expect(h.allFramesFree)
    }

    @Test func priorityTaggedFramesBelongToTheUntaggedNetwork() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.a, to: .broadcast)
        #expect(h.send(port: 0, tagged(frame, 0x6000)) == [1: [frame], 3: [tagged(frame, 10)]],
                "VID 0 with priority 3 on an access port is untagged traffic")
        #expect(h.drops(0).isEmpty)
    }

    @Test func stackedTagsAreDroppedWhereverTheyArrive() {
        let h = harness()
        let arp = PacketBuilder.arpRequest(source: Hosts.a, senderIP: 0x0A00_0001, targetIP: 0x0A00_0002)
        // 802.1Q in 802.1Q on a trunk: inside the switch frames are untagged, and Swivel does not do QinQ.
        #expect(h.send(port: 3, tagged(tagged(arp, 77), 10)).isEmpty)
        // A priority tag hiding a real tag on an access port would hop into VLAN 20.
        #expect(h.send(port: 0, tagged(tagged(arp, 20), 0)).isEmpty)
        // Three priority tags: the parser reads them all, so the ARP behind them is not mistaken for
        // another EtherType (which port security would let through).
        #expect(h.send(port: 0, tagged(tagged(tagged(arp, 0), 0), 0)).isEmpty)
        #expect(h.drops(3) == [.vlanStackedTags: 1])
        #expect(h.drops(0) == [.vlanStackedTags: 2])
        #expect(h.allFramesFree)
    }

    @Test func offloadOffsetsFollowTheTag() {
        let h = harness()
        let tcp = PacketBuilder.tcp(source: 0x0A00_0001, destination: 0x0A00_0002, sourcePort: 1, destinationPort: 2,
                                    sequence: 1, payload: Array(repeating: 7, count: 100), partialChecksum: true)
        let frame = PacketBuilder.ethernet(destination: Hosts.b, source: Hosts.a, etherType: EtherType.ipv4, payload: tcp)
        // Port 0 (no offload) -> trunk 3 (no offload): the checksum is completed after the tag is pushed.
        let offload = OffloadInfo(flags: OffloadInfo.needsChecksum, csumStart: 34, csumOffset: 16)
        let out = h.send([(0, frame)], offload: offload)
        let sent = try! #require(out[3]?.first)
        #expect(Array(sent[12..<16]) == [0x81, 0, 0, 10])
        let full = PacketBuilder.tcp(source: 0x0A00_0001, destination: 0x0A00_0002, sourcePort: 1, destinationPort: 2,
                                     sequence: 1, payload: Array(repeating: 7, count: 100))
        #expect(Array(sent[18...]) == full, "the TCP checksum lands at the shifted offset")
    }

    @Test func membershipChangeForgetsWhatThePortLearned() {
        let h = harness()
        _ = h.send(port: 3, tagged(Hosts.frame(from: Hosts.a, to: .broadcast), 20))
        #expect(h.pipeline.l2.fdb.lookup(network: Self.red, mac: Hosts.a, now: h.clock.nowNanos) == 3)
        h.pipeline.adopt(Topology(maxPorts: 16, membership: [0: .access(Self.blue), 2: .access(Self.red), 3: .trunk([10: Self.blue])]))
        #expect(h.pipeline.l2.fdb.lookup(network: Self.red, mac: Hosts.a, now: h.clock.nowNanos) == nil)
        #expect(h.send(port: 3, tagged(Hosts.frame(from: Hosts.b, to: .broadcast), 20)).isEmpty)
        #expect(h.drops(3) == [.vlanNotAllowed: 1])
    }
}
