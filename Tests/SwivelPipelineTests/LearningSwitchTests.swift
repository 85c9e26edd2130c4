import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelAddress

@Suite struct LearningSwitchTests {
    /// Ports 0, 1, 2 in network 0; port 3 in network 1.
    func harness(fdb: FDB = FDB()) -> PipelineHarness { PipelineHarness(ports: [0: 0, 1: 0, 2: 0, 3: 1], fdb: fdb) }

    @Test func unknownUnicastFloodsThenLearnedAnswerIsUnicast() {
        let h = harness()
        let first = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.b))
        #expect(first.keys.sorted() == [1, 2])          // flooded within network 0, never back to port 0
        #expect(first[1]! == [Hosts.frame(from: Hosts.a, to: Hosts.b)])
        let reply = h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a))
        #expect(reply.keys.sorted() == [0])             // A was learned on port 0
        let again = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.b))
        #expect(again.keys.sorted() == [1])
        #expect(h.pipeline.l2.fdb.count == 2)
        #expect(h.allFramesFree)
    }

    @Test func broadcastFloodsOnlyWithinTheNetwork() {
        let h = harness()
        let out = h.send(port: 1, Hosts.frame(from: Hosts.b, to: .broadcast))
        #expect(out.keys.sorted() == [0, 2])
        let other = h.send(port: 3, Hosts.frame(from: Hosts.c, to: .broadcast))
        #expect(other.isEmpty)                         // alone in network 1
        #expect(h.allFramesFree)
    }

    @Test func noHairpin() {
        let h = harness()
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))
        _ = h.send(port: 0, Hosts.frame(from: Hosts.b, to: .broadcast))   // A and B both behind port 0
        let out = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.b))
        #expect(out.isEmpty)
        #expect(h.drops(0)[.hairpin] == 1)
    }

    @Test func macMoveFollowsTheHost() {
        let h = harness()
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))
        h.clock.advance(seconds: 1)
        _ = h.send(port: 2, Hosts.frame(from: Hosts.a, to: .broadcast))   // A moved to port 2
        let out = h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a))
        #expect(out.keys.sorted() == [2])
        #expect(h.pipeline.l2.fdb.stats.moved == 1)
    }

    @Test func entriesAgeOut() {
        let h = harness(fdb: FDB(agingSeconds: 300))
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))
        h.clock.advance(seconds: 299)
        #expect(h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a)).keys.sorted() == [0])
        h.clock.advance(seconds: 301)                 // A silent for 301 s
        #expect(h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a)).keys.sorted() == [0, 2])
        // The periodic sweep removes aged entries even when nobody looks them up.
        h.clock.advance(seconds: 400)
        h.pipeline.tick(now: h.clock.nowNanos)
        #expect(h.pipeline.l2.fdb.count == 0)
        #expect(h.pipeline.l2.fdb.stats.expired >= 2)
    }

    @Test func staticEntriesNeitherAgeNorMove() {
        var fdb = FDB(agingSeconds: 10)
        let added = fdb.addStatic(network: 0, mac: Hosts.a, port: 0)
        #expect(added)
        let h = harness(fdb: fdb)
        _ = h.send(port: 2, Hosts.frame(from: Hosts.a, to: .broadcast))   // spoofed A on port 2
        h.clock.advance(seconds: 1000)
        h.pipeline.tick(now: h.clock.nowNanos)
        #expect(h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a)).keys.sorted() == [0])
    }

    @Test func badFramesAreCountedAndDropped() {
        let h = harness()
        let runt = [UInt8](repeating: 1, count: 10)
        var tagged = Hosts.frame(from: Hosts.a, to: Hosts.b)
        tagged = Array(tagged[0..<12]) + [0x81, 0x00, 0x00]                 // tag cut off
        let multicastSource = Hosts.frame(from: MACAddress(1, 0, 0x5e, 0, 0, 1), to: Hosts.b)
        let stp = Hosts.frame(from: Hosts.a, to: MACAddress(1, 0x80, 0xc2, 0, 0, 0))
        let out = h.send([(0, runt), (0, tagged), (0, multicastSource), (0, stp)])
        #expect(out.isEmpty)
        let d = h.drops(0)
        #expect(d[.runt] == 1 && d[.truncatedTag] == 1 && d[.invalidSource] == 1 && d[.linkLocal] == 1)
        #expect(h.allFramesFree)
    }

    @Test func downPortsGetNothing() {
        let h = harness()
        h.pipeline.states.isUp[2] = false
        #expect(h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast)).keys.sorted() == [1])
        _ = h.send(port: 2, Hosts.frame(from: Hosts.c, to: .broadcast))
        let out = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.c))
        #expect(out.isEmpty)
        #expect(h.drops(2)[.portDown] == 1)
        #expect(h.allFramesFree)
    }

    @Test func fullQueueDropsWithReasonInsteadOfStalling() {
        let h = PipelineHarness(ports: [0: 0, 1: 0], queueCapacity: 4)
        _ = h.send(port: 1, Hosts.frame(from: Hosts.b, to: .broadcast))
        let frames = (0..<10).map { _ in (UInt16(0), Hosts.frame(from: Hosts.a, to: Hosts.b)) }
        let out = h.send(frames)
        #expect(out[1]?.count == 4)
        #expect(h.drops(1)[.txQueueFull] == 6)
        #expect(h.allFramesFree)
    }

    @Test func floodCopiesStopAtTheReceiveReserve() {
        // 16 small frames, 2 reserved for receive; 8 ports flooding a batch of 8 broadcasts needs 56 copies.
        let h = PipelineHarness(ports: Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, UInt16(0)) }), poolFrames: 16)
        let out = h.send((0..<8).map { _ in (UInt16(0), Hosts.frame(from: Hosts.a, to: .broadcast)) })
        let delivered = out.values.map(\.count).reduce(0, +)
        let exhausted = (1..<8).map { h.drops($0)[.poolExhausted] ?? 0 }.reduce(0, +)
        #expect(delivered + Int(exhausted) == 8 * 7)
        #expect(exhausted > 0)
        #expect(h.allFramesFree)
    }
}

@Suite struct FlowTableTests {
    @Test func recordsEachFlowsDecisionAndCounts() throws {
        let h = PipelineHarness(ports: [0: 0, 1: 0, 2: 0])
        for _ in 0..<3 { _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.b, size: 100)) }
        _ = h.send(port: 1, Hosts.frame(from: Hosts.b, to: Hosts.a))
        h.clock.advance(seconds: 2)
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: Hosts.b, size: 100))
        let rows = h.pipeline.flows.rows()
        #expect(rows.count == 2)
        let ab = try #require(rows.first { $0.0.source == Hosts.a })
        #expect(ab.1.packets == 4 && ab.1.bytes == 400)
        #expect(ab.1.decision == .output(1))           // was flood until B was learned
        #expect(h.pipeline.flows.stats.changed == 1)
        #expect(ab.1.lastSeen - ab.1.firstSeen == 2_000_000_000)
        let ba = try #require(rows.first { $0.0.source == Hosts.b })
        #expect(ba.1.decision == .output(0) && ba.1.packets == 1)
    }

    @Test func idleFlowsExpireAndFullTableCounts() {
        let h = PipelineHarness(ports: [0: 0, 1: 0], flows: FlowTable(limit: 2, idleSeconds: 10))
        for i in 0..<4 { _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: MACAddress(2, 0, 0, 0, 1, UInt8(i)))) }
        #expect(h.pipeline.flows.table.count == 2)
        #expect(h.pipeline.flows.stats.notRecorded == 2)
        h.clock.advance(seconds: 11)
        h.pipeline.tick(now: h.clock.nowNanos)
        #expect(h.pipeline.flows.table.count == 0)
    }
}

@Suite struct OffloadAtOutputTests {
    @Test func superFramesAreSegmentedForPortsWithoutOffload() {
        let h = PipelineHarness(ports: [0: 0, 1: 0, 2: 0])
        h.pipeline.states.acceptsOffload[2] = true
        let src: UInt32 = 0x0A00_0001, dst: UInt32 = 0x0A00_0002
        _ = h.send(port: 1, Hosts.frame(from: Hosts.b, to: .broadcast))
        _ = h.send(port: 2, Hosts.frame(from: Hosts.c, to: .broadcast))
        let tcp = PacketBuilder.ethernet(destination: Hosts.b, source: Hosts.a, etherType: EtherType.ipv4,
                                         payload: PacketBuilder.tcp(source: src, destination: dst, sourcePort: 1, destinationPort: 2,
                                                                    sequence: 0, payload: [UInt8](repeating: 7, count: 3000),
                                                                    partialChecksum: true))
        let gso = OffloadInfo(flags: OffloadInfo.needsChecksum, gsoType: OffloadInfo.gsoTCPv4, headerLength: 54, gsoSize: 1000,
                              csumStart: 34, csumOffset: 16)
        let toB = h.send([(0, tcp)], offload: gso)
        #expect(toB[1]?.count == 3)                    // port 1 cannot take offloads: segmented
        #expect(toB[1]?.allSatisfy { $0.count == 1054 } == true)
        var toCFrame = tcp
        Hosts.c.bytes.enumerated().forEach { toCFrame[$0.offset] = $0.element }
        let toC = h.send([(0, toCFrame)], offload: gso)
        #expect(toC[2]?.count == 1)                    // port 2 takes the super-frame as it is
        #expect(h.allFramesFree)
    }
}

@Suite struct OpenTableTests {
    struct K: TableKey { var v: UInt64; var hash64: UInt64 { v & 7 } }   // deliberate collisions

    @Test func removalKeepsProbeChainsIntact() {
        var t = OpenTable<K, Int>(limit: 40)
        defer { t.deallocate() }
        var model: [UInt64: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<5000 {
            let k = UInt64.random(in: 0..<64, using: &rng)
            if let s = t.find(K(v: k)) {
                #expect(model[k] == t.value(at: s).pointee)
                if Bool.random(using: &rng) { t.remove(at: s); model[k] = nil }
            } else {
                #expect(model[k] == nil)
                if t.insert(K(v: k), step) != nil { model[k] = step } else { #expect(model.count == 40) }
            }
            #expect(t.count == model.count)
        }
        for (k, v) in model {
            let slot = t.find(K(v: k))
            #expect(slot != nil && t.value(at: slot!).pointee == v)
        }
    }
}

@Suite struct StormControlTests {
    @Test func floodsBeyondTheRateAreDroppedKnownUnicastIsNot() {
        let h = PipelineHarness(ports: [0: 0, 1: 0, 2: 0])
        h.pipeline.l2.storm.configure(port: 0, pps: 10)
        _ = h.send(port: 1, Hosts.frame(from: Hosts.b, to: .broadcast))   // learn B on port 1
        let broadcasts = (0..<30).map { _ in (UInt16(0), Hosts.frame(from: Hosts.a, to: .broadcast)) }
        let out = h.send(broadcasts)
        #expect(out[1]?.count == 10 && out[2]?.count == 10)          // one second's burst
        #expect(h.drops(0)[.stormControl] == 20)
        // Known unicast passes whatever the budget.
        let unicast = h.send((0..<30).map { _ in (UInt16(0), Hosts.frame(from: Hosts.a, to: Hosts.b)) })
        #expect(unicast[1]?.count == 30)
        // Half a second later half the budget is back.
        h.clock.advance(seconds: 0.5)
        let more = h.send((0..<30).map { _ in (UInt16(0), Hosts.frame(from: Hosts.a, to: .broadcast)) })
        #expect(more[1]?.count == 5)
        // Other ports have no limit.
        let other = h.send((0..<30).map { _ in (UInt16(2), Hosts.frame(from: Hosts.c, to: .broadcast)) })
        #expect(other[1]?.count == 30)
        #expect(h.allFramesFree)
    }
}
