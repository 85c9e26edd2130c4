import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelAddress

/// The connection-tracking service on its own: zones of both kinds, counts per zone and network, a frame
/// looked up in two zones, translated reply tuples, IPv6-sized tuples.
@Suite struct ConnTrackerTests {
    static let client: UInt32 = 0x0A00_0005, server: UInt32 = 0x0A00_0107, publicIP: UInt32 = 0xC633_6414

    func tuple(_ zone: ConnZone, from s: UInt32 = client, to d: UInt32 = server, sport: UInt16 = 40000, dport: UInt16 = 80) -> ConnTuple {
        ConnTuple(ipv4Source: s, destination: d, sourcePort: sport, destinationPort: dport, protocol: IPProtocol.tcp, zone: zone)
    }

    @Test func zonesOfBothKindsAreSeparateAndCounted() {
        var ct = ConnTracker(capacity: 16)
        defer { ct.deallocate() }
        let port = ConnZone.port(3), router = ConnZone.router(3)
        #expect(port != router && port.id == 3 && router.id == 3 && router.isRouter && !port.isRouter)
        let r1 = ct.create(tuple(port), network: 7, state: .synSent, origin: 0, rule: 1, generation: 1, now: 0)
        #expect(r1 != nil)
        let r2 = ct.create(tuple(router), network: 7, state: .new, origin: 0, rule: 0, generation: 1, now: 0)
        #expect(r2 != nil)
        let r3 = ct.create(tuple(.port(4), sport: 1), network: 9, state: .new, origin: 0, rule: 0, generation: 1, now: 0)
        #expect(r3 != nil)
        #expect(ct.table.count(in: port) == 1 && ct.table.count(in: router) == 1 && ct.table.count(in: .port(4)) == 1)
        #expect(ct.table.count(network: 7) == 2 && ct.table.count(network: 9) == 1 && ct.table.count(network: 8) == 0)

        // One frame, two zones, one pass: the port zone answers in the original direction, the router zone
        // in the reply direction.
        let (inPort, inRouter) = ct.lookup(tuple(port), in: port, and: router, now: 1, dryRun: false)
        #expect(inPort?.reply == false && inRouter?.reply == false)
        let replies = ct.lookup(tuple(port).reversed, in: port, and: router, now: 1, dryRun: false)
        #expect(replies.0?.reply == true && replies.1?.reply == true)
        let r4 = ct.lookup(tuple(.router(9)), now: 1, dryRun: false)
        #expect(r4 == nil)

        // Forgetting a zone takes only its connections and keeps the counts true.
        let r5 = ct.forget(zone: router)
        #expect(r5 == 1)
        #expect(ct.table.count(in: router) == 0 && ct.table.count(in: port) == 1 && ct.table.count(network: 7) == 1)
        #expect(ct.table.stats.flushed == 1)
    }

    @Test func aTranslatedConnectionIsFoundByItsReplyTuple() {
        var ct = ConnTracker(capacity: 4)
        defer { ct.deallocate() }
        // Source NAT in a router zone: the client's packets leave as publicIP:61000; the server answers there.
        let zone = ConnZone.router(1)
        let original = tuple(zone)
        let reply = tuple(zone, from: Self.server, to: Self.publicIP, sport: 80, dport: 61000)
        let e = ct.create(original, reply: reply, network: 1, binding: ConnBinding(kind: .sourceNAT, object: 2), state: .new,
                          origin: 0, rule: 0, generation: 1, now: 0)
        #expect(e != nil)
        let r6 = ct.lookup(reply, now: 1, dryRun: false)
        #expect(r6.map { $0.entry == e! && $0.reply } == true)
        // The untranslated reverse is no connection of this table.
        let r7 = ct.lookup(original.reversed, now: 1, dryRun: false)
        #expect(r7 == nil)
        #expect(ct.table.entries[e!].binding == ConnBinding(kind: .sourceNAT, object: 2))
        ct.table.remove(e!)
        let r8 = ct.lookup(reply, now: 1, dryRun: false)
        #expect(r8 == nil && ct.table.count(in: zone) == 0)
    }

    @Test func ipv6TuplesAreKeysOfTheSameTable() {
        var ct = ConnTracker(capacity: 4)
        defer { ct.deallocate() }
        let a = IPv6Address.parse("2001:db8::5")!, b = IPv6Address.parse("2001:db8:1::7")!
        let t = ConnTuple(source: (a.high, a.low), destination: (b.high, b.low), sourcePort: 5000, destinationPort: 443,
                          protocol: IPProtocol.udp, zone: .port(2))
        #expect(!t.isIPv4 && t.sourceText == "2001:db8::5" && t.destinationText == "2001:db8:1::7")
        #expect(tuple(.port(2)).isIPv4 && tuple(.port(2)).sourceText == "10.0.0.5")
        _ = ct.create(t, network: 0, state: .new, origin: 0, rule: 0, generation: 1, now: 0)
        let r9 = ct.lookup(t.reversed, now: 1, dryRun: false)
        #expect(r9?.reply == true)
        // An IPv4 tuple whose low bits equal the IPv6 address's low half is another connection.
        let v4 = ConnTuple(ipv4Source: UInt32(truncatingIfNeeded: a.low), destination: UInt32(truncatingIfNeeded: b.low),
                           sourcePort: 5000, destinationPort: 443, protocol: IPProtocol.udp, zone: .port(2))
        let r10 = ct.lookup(v4, now: 1, dryRun: false)
        #expect(r10 == nil)
    }

    @Test func expiredEntriesEndOnLookupUnlessDryRun() {
        var ct = ConnTracker(capacity: 4)
        defer { ct.deallocate() }
        _ = ct.create(tuple(.port(1)), network: 0, state: .new, origin: 0, rule: 0, generation: 1, now: 0)
        let late = (ct.timeouts.unreplied + 1) * 1_000_000_000
        let r11 = ct.lookup(tuple(.port(1)), now: late, dryRun: true)
        #expect(r11 == nil)
        #expect(ct.table.count == 1)          // a trace changes nothing
        let r12 = ct.lookup(tuple(.port(1)), now: late, dryRun: false)
        #expect(r12 == nil)
        #expect(ct.table.count == 0 && ct.table.stats.expired == 1 && ct.table.count(in: .port(1)) == 0)
    }

    @Test func laterFragmentsFollowTheirFirstInTheirZoneOnly() {
        var ct = ConnTracker(capacity: 4)
        defer { ct.deallocate() }
        let first = FragmentKey(ipv4Source: Self.client, destination: Self.server, id: 77, protocol: IPProtocol.udp, zone: .port(1))
        ct.noteFirstFragment(first, now: 0)
        let r13 = ct.followsFirstFragment(first, now: 1, dryRun: false)
        #expect(r13)
        let r14 = ct.followsFirstFragment(FragmentKey(ipv4Source: Self.client, destination: Self.server, id: 77,
                                                     protocol: IPProtocol.udp, zone: .port(2)), now: 1, dryRun: false)
        #expect(!r14)
        let r15 = ct.followsFirstFragment(first, now: ConnTracker.fragmentTimeout + 1, dryRun: false)
        #expect(!r15)
        #expect(ct.fragmentsFollowed == 1)
    }
}
