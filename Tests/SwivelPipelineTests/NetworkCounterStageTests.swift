import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

/// network-count: what enters forwarding is counted in its network; what an earlier stage dropped is not.
@Suite struct NetworkCounterStageTests {
    static let blue: UInt16 = 3, red: UInt16 = 7

    func counted(_ h: PipelineHarness, _ network: UInt16) -> (packets: UInt64?, bytes: UInt64?) {
        let rows = h.pipeline.stageCounters().filter { $0.stage == "network-count" && $0.key == .network(network) }
        return (rows.first { $0.name == "packets" }?.value, rows.first { $0.name == "bytes" }?.value)
    }

    @Test func countsEachNetworksFramesAndNotTheDropped() {
        let h = PipelineHarness(memberships: [0: .access(Self.blue), 1: .access(Self.blue), 2: .trunk([20: Self.red])])
        let toB = PacketBuilder.ethernet(destination: Hosts.b, source: Hosts.a, etherType: 0x88B5, payload: [UInt8](repeating: 1, count: 50))
        let tagged = PacketBuilder.ethernet(destination: .broadcast, source: Hosts.c, etherType: 0x88B5, vlan: 20,
                                            payload: [UInt8](repeating: 2, count: 100))
        let wrongTag = PacketBuilder.ethernet(destination: .broadcast, source: Hosts.c, etherType: 0x88B5, vlan: 30, payload: [1, 2])
        h.send([(0, toB), (0, toB), (2, tagged), (2, wrongTag)])
        #expect(counted(h, Self.blue) == (2, UInt64(2 * toB.count)))
        // The tag comes off in the vlan stage, before the count: 4 bytes fewer than on the wire.
        #expect(counted(h, Self.red) == (1, UInt64(tagged.count - 4)))
        #expect(h.pipeline.counters.snapshot(port: 2).drops[.vlanNotAllowed] == 1, "the frame of VLAN 30 was dropped, uncounted")
        #expect(counted(h, 30).packets == nil && counted(h, 0).packets == nil)
        #expect(h.allFramesFree)
    }
}
