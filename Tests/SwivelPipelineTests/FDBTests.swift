import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelAddress

@Suite struct FDBTests {
    func mac(_ i: Int) -> MACAddress { MACAddress(rawValue: 0x0200_0000_0000 | UInt64(i)) }

    /// The per-network and per-port counts must always equal what the table holds.
    func countsAreExact(_ fdb: FDB, networks: [UInt16], ports: [UInt16]) -> Bool {
        var table: [(UInt16, UInt16)] = []
        fdb.table.forEach { k, e in table.append((k.network, e.port)) }
        return networks.allSatisfy { n in fdb.count(network: n) == table.filter { $0.0 == n }.count }
            && ports.allSatisfy { p in fdb.count(port: p) == table.filter { $0.1 == p }.count }
    }

    /// Lookups only read: an aged entry answers "unknown" and stays until the sweep, and learning its MAC
    /// again (anywhere) is a new entry, not a move.
    @Test func lookupsWriteNothingAndAnAgedMACIsLearnedAfresh() {
        var fdb = FDB(capacity: 64)
        fdb.configure(network: 0, agingSeconds: 10)
        fdb.learn(network: 0, mac: mac(1), port: 1, now: 0)
        fdb.learn(network: 0, mac: mac(2), port: 1, now: 0)
        let later: UInt64 = 11_000_000_000
        #expect(fdb.lookup(network: 0, mac: mac(1), now: later) == nil)
        #expect(fdb.table.count == 2 && fdb.stats.expired == 0, "the lookup removed nothing")
        fdb.learn(network: 0, mac: mac(1), port: 2, now: later)
        #expect(fdb.lookup(network: 0, mac: mac(1), now: later) == 2)
        #expect(fdb.stats.moved == 0 && fdb.stats.learned == 3 && fdb.stats.expired == 1)
        #expect(fdb.sweep(now: later) == 1 && fdb.table.count == 1)
        #expect(countsAreExact(fdb, networks: [0], ports: [1, 2]))
    }

    @Test func eachNetworkHasItsOwnLimitAndKnownTrafficKeepsFlowing() {
        var fdb = FDB(capacity: 64)
        fdb.configure(network: 0, limit: 3)
        for i in 0..<5 { fdb.learn(network: 0, mac: mac(i), port: 1, now: 1) }
        for i in 0..<5 { fdb.learn(network: 1, mac: mac(i), port: 2, now: 1) }
        #expect(fdb.count(network: 0) == 3 && fdb.count(network: 1) == 5)
        #expect(fdb.stats.limitHits == 2)
        // Refreshing a known MAC at the limit is not a new entry.
        fdb.learn(network: 0, mac: mac(0), port: 1, now: 2)
        #expect(fdb.stats.limitHits == 2 && fdb.lookup(network: 0, mac: mac(0), now: 2) == 1)
        #expect(countsAreExact(fdb, networks: [0, 1], ports: [1, 2]))
    }

    @Test func aPortLimitStopsOnePortFromFillingItsNetwork() {
        var fdb = FDB(capacity: 64)
        fdb.configure(port: 1, limit: 2)
        for i in 0..<10 { fdb.learn(network: 0, mac: mac(i), port: 1, now: 1) }
        fdb.learn(network: 0, mac: mac(100), port: 2, now: 1)
        #expect(fdb.count(port: 1) == 2 && fdb.count(port: 2) == 1)
        #expect(fdb.stats.portLimitHits == 8)
        #expect(fdb.limit(port: 1) == 2 && fdb.limit(port: 2) == nil)
    }

    @Test func agingIsPerNetwork() {
        var fdb = FDB(capacity: 64)
        fdb.configure(network: 0, agingSeconds: 10)
        fdb.learn(network: 0, mac: mac(1), port: 1, now: 0)
        fdb.learn(network: 1, mac: mac(1), port: 1, now: 0)
        let later: UInt64 = 11_000_000_000
        #expect(fdb.lookup(network: 0, mac: mac(1), now: later) == nil)
        #expect(fdb.lookup(network: 1, mac: mac(1), now: later) == 1)
        #expect(fdb.agingSeconds(network: 0) == 10 && fdb.agingSeconds(network: 1) == 300)
        #expect(countsAreExact(fdb, networks: [0, 1], ports: [1]))
    }

    @Test func countsStayExactThroughMovesSweepsFlushesAndRemovals() {
        var fdb = FDB(capacity: 256)
        fdb.configure(network: 1, agingSeconds: 5)
        var rng = SystemRandomNumberGenerator()
        var now: UInt64 = 1
        for step in 0..<5000 {
            now += UInt64.random(in: 0...50_000_000, using: &rng)
            let n = UInt16.random(in: 0...2, using: &rng), p = UInt16.random(in: 0...3, using: &rng)
            let m = mac(Int.random(in: 0..<60, using: &rng))
            switch step % 11 {
            case 0: fdb.addStatic(network: n, mac: m, port: p)
            case 1: fdb.remove(network: n, mac: m)
            case 2: _ = fdb.lookup(network: n, mac: m, now: now)
            case 3 where step % 7 == 0: fdb.flush(port: p)
            case 4 where step % 13 == 0: fdb.sweep(now: now)
            case 5 where step % 17 == 0: fdb.forget(port: p)
            default: fdb.learn(network: n, mac: m, port: p, now: now)
            }
            #expect(countsAreExact(fdb, networks: [0, 1, 2], ports: [0, 1, 2, 3]))
        }
    }

    @Test func staticEntriesStayPutAndRefuseMoves() {
        var fdb = FDB(capacity: 16, agingSeconds: 1)
        let added = fdb.addStatic(network: 0, mac: mac(1), port: 3)
        #expect(added)
        fdb.learn(network: 0, mac: mac(1), port: 5, now: 1)
        #expect(fdb.lookup(network: 0, mac: mac(1), now: 1_000_000_000_000) == 3)
        #expect(fdb.stats.staticMoveRefused == 1 && fdb.staticCount == 1)
        let flushed = fdb.flush()                 // flush leaves statics alone
        #expect(flushed == 0)
        let removed = fdb.remove(network: 0, mac: mac(1))
        #expect(removed)
        #expect(fdb.count == 0 && fdb.count(port: 3) == 0)
    }
}
