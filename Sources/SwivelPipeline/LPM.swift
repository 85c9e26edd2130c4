/// IPv4 longest-prefix match (the IPv4 `PrefixTable`) as a 16-8-8 multibit trie: a 65 536-entry root indexed by the top 16 bits,
/// then 256-entry chunks for the next 8 and the last 8 bits, so any lookup is at most three dependent
/// loads, whatever the number of routes. Prefixes are expanded into the slots they cover, longer
/// prefixes painted after shorter ones, which is what makes the painted value the longest match.
/// Immutable once built: the control plane builds a new table from the route list and the datapath
/// adopts it between batches (no locks, no partial updates seen by a lookup).
///
/// Slot encoding: 0 no route; high bit set: index of the chunk holding the longer prefixes below this
/// slot; otherwise the route's value + 1.
public final class LPMTable: PrefixTable {
    public typealias Address = UInt32

    @usableFromInline let root: [UInt32]
    @usableFromInline let chunks: [UInt32]
    public let routeCount: Int
    public var chunkCount: Int { chunks.count / 256 }
    /// Bytes of lookup structure (root and chunks).
    public var memoryBytes: Int { (root.count + chunks.count) * 4 }

    @usableFromInline static let chunkFlag: UInt32 = 0x8000_0000

    public init(routes: [Route]) {
        var root = [UInt32](repeating: 0, count: 1 << 16)
        var chunks: [UInt32] = []
        chunks.reserveCapacity(256 * 64)
        // Equal lengths never overlap unless equal; a later duplicate wins.
        let sorted = routes.enumerated().sorted { ($0.element.length, $0.offset) < ($1.element.length, $1.offset) }.map(\.element)

        func chunk(below slot: inout UInt32) -> Int {
            if slot & Self.chunkFlag != 0 { return Int(slot & ~Self.chunkFlag) }
            let index = chunks.count / 256
            chunks.append(contentsOf: repeatElement(slot, count: 256))   // inherits the shorter prefix's value
            slot = Self.chunkFlag | UInt32(index)
            return index
        }

        for r in sorted {
            let value = r.value + 1
            if r.length <= 16 {
                let start = Int(r.prefix >> 16)
                for i in start..<start + (1 << (16 - r.length)) { root[i] = value }
            } else if r.length <= 24 {
                let level2 = chunk(below: &root[Int(r.prefix >> 16)])
                let start = level2 * 256 + Int((r.prefix >> 8) & 0xFF)
                for i in start..<start + (1 << (24 - r.length)) { chunks[i] = value }
            } else {
                let level2 = chunk(below: &root[Int(r.prefix >> 16)])
                var slot = chunks[level2 * 256 + Int((r.prefix >> 8) & 0xFF)]
                let level3 = chunk(below: &slot)
                chunks[level2 * 256 + Int((r.prefix >> 8) & 0xFF)] = slot
                let start = level3 * 256 + Int(r.prefix & 0xFF)
                for i in start..<start + (1 << (32 - r.length)) { chunks[i] = value }
            }
        }
        self.root = root
        self.chunks = chunks
        routeCount = routes.count
    }

    /// The value of the longest prefix covering `address`, or nil.
    @inlinable @inline(__always)
    public func lookup(_ address: UInt32) -> UInt32? {
        var e = root[Int(address >> 16)]
        if e & Self.chunkFlag != 0 {
            e = chunks[Int(e & ~Self.chunkFlag) << 8 | Int((address >> 8) & 0xFF)]
            if e & Self.chunkFlag != 0 {
                e = chunks[Int(e & ~Self.chunkFlag) << 8 | Int(address & 0xFF)]
            }
        }
        return e == 0 ? nil : e - 1
    }
}
