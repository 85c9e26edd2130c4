import Testing
@testable import SwivelPacket

@Suite struct FramePoolTests {
    @Test func handsOutEveryFrameOnceAndTakesThemBack() {
        let pool = FramePool(smallCount: 64, largeCount: 4, receiveReserve: 0)
        var seen = Set<FrameIndex>()
        while let f = pool.allocate(bytes: 100, forReceive: true) { #expect(seen.insert(f).inserted) }
        #expect(seen.count == 64)
        #expect(pool.freeSmall == 0)
        for f in seen { pool.free(f) }
        #expect(pool.freeSmall == 64)
        #expect((0..<64).allSatisfy { pool.isFree(FrameIndex($0)) })
    }

    @Test func sizeClasses() throws {
        let pool = FramePool(smallCount: 8, largeCount: 2)
        let small = try #require(pool.allocate(bytes: 1514, forReceive: true))
        let large = try #require(pool.allocate(bytes: 9000, forReceive: true))
        #expect(!pool.isLarge(small) && pool.isLarge(large))
        #expect(pool.allocate(bytes: 70000, forReceive: true) == nil)
        #expect(pool.capacity(large) - pool.headroom >= 65536)
        pool.free(small); pool.free(large)
    }

    @Test func receiveReserveHoldsBackCopies() {
        let pool = FramePool(smallCount: 16, largeCount: 0, receiveReserve: 4)
        var taken: [FrameIndex] = []
        while let f = pool.allocate(bytes: 60, forReceive: false) { taken.append(f) }
        #expect(taken.count == 12)   // the last 4 are for receive only
        #expect(pool.allocate(bytes: 60, forReceive: true) != nil)
        #expect(pool.freeSmall == 3)
    }

    @Test func randomTrafficNeverLosesOrDuplicates() {
        let pool = FramePool(smallCount: 128, largeCount: 8, receiveReserve: 0)
        var held: [FrameIndex] = []
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            if Bool.random(using: &rng), let f = pool.allocate(bytes: Bool.random() ? 64 : 20000, forReceive: true) {
                #expect(!held.contains(f))
                held.append(f)
            } else if !held.isEmpty {
                pool.free(held.remove(at: Int.random(in: 0..<held.count, using: &rng)))
            }
            #expect(pool.freeSmall + pool.freeLarge + held.count == pool.totalCount)
        }
        for f in held { pool.free(f) }
        #expect(pool.freeSmall == 128 && pool.freeLarge == 8)
    }

    @Test func cloneCopiesBytesAndMeta() throws {
        let pool = FramePool(smallCount: 8, largeCount: 0, receiveReserve: 0)
        let bytes: [UInt8] = Array(0..<60)
        let f = try #require(bytes.withUnsafeBytes { pool.make(bytes: $0, inPort: 3) })
        let c = try #require(pool.clone(f))
        #expect(c != f && pool.bytes(c) == bytes && pool.meta[Int(c)].inPort == 3)
    }
}
