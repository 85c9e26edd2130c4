import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

/// Networks blue (0, VNI 5001, remote VTEPs A and B) and red (1, VNI 5002, remote VTEP A); ports 0 and 1
/// access blue, 2 access red, 5 is the VXLAN port carrying both. This host is 192.0.2.1.
@Suite struct OverlayTests {
    static let blue: UInt16 = 0, red: UInt16 = 1, vxlan: UInt16 = 5
    static let local = IPv4Address.parse("192.0.2.1")!
    static let vtepA = IPv4Address.parse("192.0.2.2")!
    static let vtepB = IPv4Address.parse("192.0.2.3")!
    static let stranger = IPv4Address.parse("192.0.2.9")!

    func harness(learn: Bool = true, fromAny: Bool = false, innerMTU: Int = 1450) -> PipelineHarness {
        let overlay = OverlayTable(port: Self.vxlan, localAddress: Self.local, learn: learn, acceptFromAny: fromAny,
                                   networks: [Self.blue: (5001, [Self.vtepA, Self.vtepB]), Self.red: (5002, [Self.vtepA])])
        let h = PipelineHarness(memberships: [0: .access(Self.blue), 1: .access(Self.blue), 2: .access(Self.red),
                                              Int(Self.vxlan): PortMembership(untagged: nil, overlay: [Self.blue, Self.red])],
                                overlay: overlay)
        h.pipeline.states.mtu[Int(Self.vxlan)] = innerMTU
        return h
    }

    static func vxlanHeader(vni: UInt32, flags: UInt8 = Vxlan.flagVNI) -> [UInt8] {
        [flags, 0, 0, 0] + PacketBuilder.be16(UInt16(vni >> 8)) + [UInt8(vni & 0xFF), 0]
    }

    /// What went out of the VXLAN port, taken apart: destination VTEP, VNI and inner frame (checked field by field).
    struct Sent: Equatable { var remote: UInt32; var vni: UInt32; var inner: [UInt8] }
    static func open(_ packet: [UInt8], sourceMustBe source: UInt32 = local) -> Sent? {
        guard packet.count >= Vxlan.outerLength, packet[0] == 0x45, packet[9] == IPProtocol.udp else { return nil }
        let be16 = { (i: Int) in UInt16(packet[i]) << 8 | UInt16(packet[i + 1]) }
        let be32 = { (i: Int) in UInt32(be16(i)) << 16 | UInt32(be16(i + 2)) }
        let ipOK = Int(be16(2)) == packet.count && packet.withUnsafeBytes { Checksum.fold(Checksum.sum($0.baseAddress!, count: 20)) == 0xFFFF }
        let udpOK = be16(22) == 4789 && be16(20) >= 49152 && Int(be16(24)) == packet.count - 20 && be16(26) == 0
        guard ipOK, udpOK, be32(12) == source, packet[8] == 64, be16(6) == 0x4000, packet[28] == Vxlan.flagVNI else { return nil }
        return Sent(remote: be32(16), vni: be32(32) >> 8, inner: Array(packet[36...]))
    }

    @Test func aBroadcastIsReplicatedToEveryRemoteVTEPOfItsNetworkOnly() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.a, to: .broadcast)
        let out = h.send(port: 0, frame)
        #expect(out[1] == [frame])
        #expect(out[2] == nil, "red never sees blue")
        let sent = (out[Int(Self.vxlan)] ?? []).compactMap { Self.open($0) }
        #expect(sent.count == 2)
        #expect(Set(sent.map(\.remote)) == [Self.vtepA, Self.vtepB])
        #expect(sent.allSatisfy { $0.vni == 5001 && $0.inner == frame })
        let red = h.send(port: 2, Hosts.frame(from: Hosts.c, to: .broadcast))
        #expect((red[Int(Self.vxlan)] ?? []).compactMap { Self.open($0) }
                == [Sent(remote: Self.vtepA, vni: 5002, inner: Hosts.frame(from: Hosts.c, to: .broadcast))])
        #expect(h.allFramesFree)
    }

    @Test func decapsulatedFramesReachTheirNetworkAndTeachTheFDBWhichVTEPTheMACIsBehind() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        let out = h.receiveOverlay(port: Self.vxlan, from: Self.vtepB, Self.vxlanHeader(vni: 5001) + frame)
        #expect(out == [0: [frame], 1: [frame]], "blue's local ports, never back into the overlay (split horizon)")
        let entry = h.pipeline.l2.fdb.lookupEntry(network: Self.blue, mac: Hosts.b, now: h.clock.nowNanos)
        #expect(entry?.port == Self.vxlan && entry?.remote == Self.vtepB)
        // Known unicast back to B goes to VTEP B alone.
        let reply = Hosts.frame(from: Hosts.a, to: Hosts.b)
        let back = h.send(port: 0, reply)
        #expect(back.keys.sorted() == [Int(Self.vxlan)])
        #expect(back[Int(Self.vxlan)]?.compactMap { Self.open($0) } == [Sent(remote: Self.vtepB, vni: 5001, inner: reply)])
        // The same MAC now behind VTEP A: a move.
        _ = h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5001) + Hosts.frame(from: Hosts.b, to: Hosts.a))
        #expect(h.pipeline.l2.fdb.lookupEntry(network: Self.blue, mac: Hosts.b, now: h.clock.nowNanos)?.remote == Self.vtepA)
        #expect(h.pipeline.l2.fdb.stats.moved == 1)
        // Red's VNI delivers to red only.
        let red = h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5002) + frame)
        #expect(red == [2: [frame]])
        #expect(h.allFramesFree)
    }

    @Test func badDatagramsAreDroppedWithTheirReasons() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 7777) + frame).isEmpty)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5001, flags: 0) + frame).isEmpty)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5001, flags: 0x88) + frame).isEmpty)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5001) + Array(frame[0..<13])).isEmpty)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, [8, 0, 0]).isEmpty)
        let drops = h.drops(Int(Self.vxlan))
        #expect(drops == [.vxlanUnknownVNI: 1, .vxlanBadFlags: 2, .vxlanMalformed: 2])
        #expect(h.pipeline.l2.fdb.count == 0)
        #expect(h.pipeline.flows.table.count == 0, "nothing parsed, nothing recorded")
        #expect(h.allFramesFree)
    }

    @Test func withLearningOffOnlyConfiguredVTEPsAreHeardAndNothingIsLearned() {
        let h = harness(learn: false)
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.stranger, Self.vxlanHeader(vni: 5001) + frame).isEmpty)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepB, Self.vxlanHeader(vni: 5002) + frame).isEmpty,
                "B is a VTEP of blue, not of red")
        #expect(h.drops(Int(Self.vxlan)) == [.vxlanUnknownVTEP: 2])
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepB, Self.vxlanHeader(vni: 5001) + frame) == [0: [frame], 1: [frame]])
        #expect(h.pipeline.l2.fdb.count == 0)
        // A static entry says where B is: unicast goes to that VTEP alone instead of flooding.
        let toB = Hosts.frame(from: Hosts.a, to: Hosts.b)
        #expect(h.send(port: 0, toB)[Int(Self.vxlan)]?.count == 2, "unknown: flooded to both VTEPs")
        h.pipeline.l2.fdb.addStatic(network: Self.blue, mac: Hosts.b, port: Self.vxlan, remote: Self.vtepB)
        #expect(h.send(port: 0, toB)[Int(Self.vxlan)]?.compactMap { Self.open($0) } == [Sent(remote: Self.vtepB, vni: 5001, inner: toB)])
        #expect(h.allFramesFree)
    }

    /// Learning on (the default) learns only from listed VTEPs: an underlay sender nobody listed cannot
    /// inject into a VNI or teach the FDB a MAC; `learn_from_any` restores open flood-and-learn.
    @Test func learningTakesFramesOnlyFromListedVTEPsUnlessLearnFromAny() {
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        let h = harness(learn: true)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.stranger, Self.vxlanHeader(vni: 5001) + frame).isEmpty)
        #expect(h.drops(Int(Self.vxlan)) == [.vxlanUnknownVTEP: 1])
        #expect(h.pipeline.l2.fdb.count == 0, "nothing learned from an unlisted VTEP")
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepA, Self.vxlanHeader(vni: 5001) + frame) == [0: [frame], 1: [frame]])
        #expect(h.pipeline.l2.fdb.lookupEntry(network: Self.blue, mac: Hosts.b, now: h.clock.nowNanos)?.remote == Self.vtepA)

        let open = harness(learn: true, fromAny: true)
        #expect(open.receiveOverlay(port: Self.vxlan, from: Self.stranger, Self.vxlanHeader(vni: 5001) + frame) == [0: [frame], 1: [frame]])
        #expect(open.pipeline.l2.fdb.lookupEntry(network: Self.blue, mac: Hosts.b, now: open.clock.nowNanos)?.remote == Self.stranger)
        #expect(open.drops(Int(Self.vxlan)).isEmpty)
        #expect(h.allFramesFree && open.allFramesFree)
    }

    @Test func framesUpToTheInnerMTUPassAndOneByteMoreIsDroppedAndCounted() {
        let h = harness(innerMTU: 1450)
        let fits = Hosts.frame(from: Hosts.a, to: .broadcast, size: 14 + 1450)
        let over = Hosts.frame(from: Hosts.a, to: .broadcast, size: 14 + 1451)
        #expect(h.send(port: 0, fits)[Int(Self.vxlan)]?.compactMap { Self.open($0) }.count == 2)
        let out = h.send(port: 0, over)
        #expect(out[Int(Self.vxlan)] == nil)
        #expect(out[1] == [over], "local ports still get it")
        #expect(h.drops(Int(Self.vxlan)) == [.overlayMTUExceeded: 2])
        #expect(h.allFramesFree)
    }

    @Test func theOuterSourcePortFollowsTheInnerFlow() {
        let udp = { (sport: UInt16) in
            PacketBuilder.ethernet(destination: .broadcast, source: Hosts.a, etherType: EtherType.ipv4,
                                   payload: PacketBuilder.udp(source: 0x0A00_0001, destination: 0x0A00_0002, sourcePort: sport,
                                                              destinationPort: 53, payload: [1, 2, 3, 4]))
        }
        let port = { (frame: [UInt8]) in frame.withUnsafeBytes { Vxlan.sourcePort(inner: $0.baseAddress!, length: frame.count) } }
        #expect(port(udp(1000)) == port(udp(1000)))
        let spread = Set((1000..<1064).map { port(udp(UInt16($0))) })
        #expect(spread.count > 48, "64 flows should not share a handful of outer ports")
        #expect(spread.allSatisfy { $0 >= 49152 })
    }

    @Test func aTraceShowsDecapAndEncap() {
        let h = harness()
        let frame = Hosts.frame(from: Hosts.b, to: .broadcast)
        let payload = Self.vxlanHeader(vni: 5001) + frame
        let f = payload.withUnsafeBytes { h.pool.make(bytes: $0, inPort: Self.vxlan) }!
        h.pool.meta[Int(f)].flags |= FrameMeta.encapsulated
        h.pool.meta[Int(f)].remote = Self.vtepA
        let records = h.pipeline.explain(f, now: h.clock.nowNanos)
        let decap = records.first { $0.stage == StageID.vxlanDecap }
        #expect(decap?.remote == Self.vtepA && decap?.vni == 5001 && decap?.network == Self.blue)
        let toA = Hosts.frame(from: Hosts.a, to: .broadcast)
        let g = toA.withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0) }!
        let encaps = h.pipeline.explain(g, now: h.clock.nowNanos).filter { $0.stage == StageID.vxlanEncap }
        #expect(Set(encaps.map(\.remote)) == [Self.vtepA, Self.vtepB] && encaps.allSatisfy { $0.vni == 5001 && $0.verdict == .output })
        #expect(h.allFramesFree)
    }

    static func tcpFrame(payload: Int, partial: Bool) -> [UInt8] {
        PacketBuilder.ethernet(destination: Hosts.a, source: Hosts.b, etherType: EtherType.ipv4,
                               payload: PacketBuilder.tcp(source: 0x0A00_0002, destination: 0x0A00_0001, sourcePort: 40000, destinationPort: 80,
                                                          sequence: 1000, payload: [UInt8]((0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
                                                          partialChecksum: partial))
    }

    @Test func partialInnerChecksumsFromASameMachineSenderAreCompletedAndCompleteOnesLeftAlone() {
        let h = harness()
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))   // A is on port 0
        let complete = Self.tcpFrame(payload: 100, partial: false)
        let partial = Self.tcpFrame(payload: 100, partial: true)
        #expect(partial != complete)
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepB, Self.vxlanHeader(vni: 5001) + partial) == [0: [complete]])
        #expect(h.receiveOverlay(port: Self.vxlan, from: Self.vtepB, Self.vxlanHeader(vni: 5001) + complete) == [0: [complete]])
        #expect(h.allFramesFree)
    }

    @Test func aSuperPacketFromTheOverlayBecomesAGSOFrameCutToTheInnerMTU() {
        let h = harness(innerMTU: 1450)
        _ = h.send(port: 0, Hosts.frame(from: Hosts.a, to: .broadcast))
        let big = Self.tcpFrame(payload: 4000, partial: true)
        let payload = Self.vxlanHeader(vni: 5001) + big
        let f = payload.withUnsafeBytes { h.pool.make(bytes: $0, inPort: Self.vxlan) }!
        h.pool.meta[Int(f)].flags |= FrameMeta.encapsulated
        h.pool.meta[Int(f)].remote = Self.vtepB
        h.pool.meta[Int(f)].offload.gsoSize = 1450   // what the port marks on a datagram longer than a frame
        h.batch.append(f)
        h.pipeline.process(&h.batch, now: h.clock.nowNanos)
        // Port 0 takes no offloads in the harness: the output stage segments to 1450-byte IP packets.
        let out = h.drain()[0] ?? []
        #expect(out.count == 3)
        #expect(out.allSatisfy { $0.count - 14 <= 1450 })
        #expect(out.map { $0.count - 54 }.reduce(0, +) == 4000, "every payload byte arrives once")
        for segment in out {
            let ok = segment.withUnsafeBytes { p -> Bool in
                let ip = p.baseAddress! + 14
                let l4 = segment.count - 34
                let pseudo = Checksum.pseudoHeaderIPv4(source: 0x0A00_0002, destination: 0x0A00_0001, proto: IPProtocol.tcp, length: l4)
                return Checksum.fold(Checksum.sum(ip + 20, count: l4, initial: pseudo)) == 0xFFFF
            }
            #expect(ok, "each segment carries a complete TCP checksum")
        }
        #expect(h.allFramesFree)
    }

    @Test func staticRemoteEntriesOfOneNetworkSurviveAnotherNetworkJoiningTheOverlay() {
        let h = harness()
        let fdb = { h.pipeline.l2.fdb.lookupEntry(network: Self.blue, mac: Hosts.b, now: h.clock.nowNanos) }
        h.pipeline.l2.fdb.addStatic(network: Self.blue, mac: Hosts.b, port: Self.vxlan, remote: Self.vtepB)
        h.pipeline.l2.fdb.addStatic(network: Self.red, mac: Hosts.c, port: Self.vxlan, remote: Self.vtepA)
        let green: UInt16 = 2
        let grown = OverlayTable(port: Self.vxlan, localAddress: Self.local,
                                 networks: [Self.blue: (5001, [Self.vtepA, Self.vtepB]), Self.red: (5002, [Self.vtepA]), green: (5003, [])])
        let memberships: [Int: PortMembership] = [0: .access(Self.blue), 1: .access(Self.blue), 2: .access(Self.red)]
        h.pipeline.adopt(Topology(maxPorts: 16, membership: memberships.merging([Int(Self.vxlan): PortMembership(untagged: nil, overlay: [Self.blue, Self.red, green])]) { a, _ in a },
                                  overlay: grown))
        #expect(fdb()?.remote == Self.vtepB && fdb()?.isStatic == true)
        // Red leaves the overlay: its entries behind the VXLAN port go, blue's stay.
        let shrunk = OverlayTable(port: Self.vxlan, localAddress: Self.local, networks: [Self.blue: (5001, [Self.vtepA, Self.vtepB])])
        h.pipeline.adopt(Topology(maxPorts: 16, membership: memberships.merging([Int(Self.vxlan): PortMembership(untagged: nil, overlay: [Self.blue])]) { a, _ in a },
                                  overlay: shrunk))
        #expect(fdb()?.remote == Self.vtepB)
        #expect(h.pipeline.l2.fdb.lookupEntry(network: Self.red, mac: Hosts.c, now: h.clock.nowNanos) == nil)
    }
}
