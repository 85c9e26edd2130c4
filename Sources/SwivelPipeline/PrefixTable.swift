import SwivelAddress

/// The FIB interface every address family implements: a longest-prefix-match table built once from
/// its routes and then only read (a router's table is swapped whole between batches, never edited under
/// a lookup). `LPMTable` is the IPv4 implementation (a 16-8-8 multibit trie); `IPv6PrefixTable` the
/// IPv6 one. Routers hold one table per family.
/// Ownership: shared read-only snapshot (part of `Routing`).
public protocol PrefixTable: Sendable {
    associatedtype Address: Sendable
    typealias Route = PrefixRoute<Address>
    init(routes: [Route])
    /// The value of the longest prefix covering `address`, or nil.
    func lookup(_ address: Address) -> UInt32?
    var routeCount: Int { get }
    /// Bytes of lookup structure.
    var memoryBytes: Int { get }
}

/// A route of one address family: prefix, length and what a match returns (a next-hop index, below
/// 2^31 - 1). The prefix's host bits are cleared when it is made.
public struct PrefixRoute<Address: Sendable>: Sendable {
    public var prefix: Address
    public var length: Int
    public var value: UInt32
}

extension PrefixRoute: Equatable where Address: Equatable {}

extension PrefixRoute where Address == UInt32 {
    public init(prefix: UInt32, length: Int, value: UInt32) {
        precondition((0...32).contains(length) && value < 0x7FFF_FFFF)
        self.prefix = length == 0 ? 0 : prefix & ~UInt32(0) << (32 - length)
        self.length = length; self.value = value
    }
}

extension PrefixRoute where Address == IPv6Address {
    public init(prefix: IPv6Address, length: Int, value: UInt32) {
        precondition((0...128).contains(length) && value < 0x7FFF_FFFF)
        self.prefix = IPv6Prefix(address: prefix, length: length).network
        self.length = length; self.value = value
    }
}

/// IPv6 longest-prefix match: one hash table per prefix length in use, tried from the longest (as
/// "binary search on prefix lengths" starts, without its markers). A lookup costs one probe per distinct
/// length, a handful in practice (/128 addresses, /64 subnets, a /0 default); a later issue may put a
/// trie behind the same interface if many lengths meet in one table.
public final class IPv6PrefixTable: PrefixTable {
    public typealias Address = IPv6Address
    /// Lengths in use, longest first, each with its prefixes.
    @usableFromInline let levels: [(length: Int, mask: (UInt64, UInt64), values: [IPv6Address: UInt32])]
    public let routeCount: Int

    public init(routes: [Route]) {
        var byLength: [Int: [IPv6Address: UInt32]] = [:]
        for r in routes { byLength[r.length, default: [:]][r.prefix] = r.value }   // a later duplicate wins
        levels = byLength.sorted { $0.key > $1.key }.map { length, values in
            (length, IPv6Prefix(address: .unspecified, length: length).mask, values)
        }
        routeCount = routes.count
    }

    @inlinable
    public func lookup(_ address: IPv6Address) -> UInt32? {
        for level in levels {
            let key = IPv6Address(high: address.high & level.mask.0, low: address.low & level.mask.1)
            if let v = level.values[key] { return v }
        }
        return nil
    }

    public var memoryBytes: Int { levels.reduce(0) { $0 + $1.values.capacity * (MemoryLayout<IPv6Address>.stride + 4) } }
}
