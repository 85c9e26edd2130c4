/// The Internet checksum (RFC 1071) over raw bytes, accumulated in 64 bits and folded at the end.
public enum Checksum {
    /// Ones'-complement sum of `count` bytes (not yet folded or inverted), added to `initial`.
    @inlinable
    public static func sum(_ p: UnsafeRawPointer, count: Int, initial: UInt64 = 0) -> UInt64 {
        var acc = initial
        var i = 0
        while i + 8 <= count {
            let w = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let (s, o) = acc.addingReportingOverflow(w)
            acc = s &+ (o ? 1 : 0)
            i += 8
        }
        while i + 2 <= count {
            acc &+= UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            i += 2
        }
        if i < count { acc &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << 8 }
        return acc
    }

    /// Folds a 64-bit ones'-complement accumulator to 16 bits (not inverted).
    @inlinable
    public static func fold(_ value: UInt64) -> UInt16 {
        var v = (value & 0xFFFF_FFFF) + (value >> 32)
        v = (v & 0xFFFF_FFFF) + (v >> 32)
        v = (v & 0xFFFF) + (v >> 16)
        v = (v & 0xFFFF) + (v >> 16)
        v = (v & 0xFFFF) + (v >> 16)
        return UInt16(truncatingIfNeeded: v)
    }

    /// The value to store in a checksum field covering these bytes.
    @inlinable
    public static func compute(_ p: UnsafeRawPointer, count: Int, initial: UInt64 = 0) -> UInt16 {
        ~fold(sum(p, count: count, initial: initial))
    }

    /// IPv4 pseudo-header sum for TCP/UDP.
    @inlinable
    public static func pseudoHeaderIPv4(source: UInt32, destination: UInt32, proto: UInt8, length: Int) -> UInt64 {
        UInt64(source >> 16) + UInt64(source & 0xFFFF) + UInt64(destination >> 16) + UInt64(destination & 0xFFFF)
            + UInt64(proto) + UInt64(length)
    }

    /// IPv6 pseudo-header sum for TCP/UDP (addresses read from the IPv6 header at `ip`).
    @inlinable
    public static func pseudoHeaderIPv6(ip: UnsafeRawPointer, proto: UInt8, length: Int) -> UInt64 {
        sum(ip + 8, count: 32) + UInt64(proto) + UInt64(length)
    }

    /// Decrements an IPv4 header's TTL and updates its checksum incrementally (RFC 1624, eqn. 3:
    /// HC' = ~(~HC + ~m + m')), without summing the header again.
    @inlinable @inline(__always)
    public static func decrementTTL(_ ip: UnsafeMutableRawPointer) {
        let old = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 8, as: UInt16.self))   // TTL, protocol
        let new = old &- 0x0100
        ip.storeBytes(of: new.bigEndian, toByteOffset: 8, as: UInt16.self)
        let hc = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        let sum = UInt64(~hc) + UInt64(~old) + UInt64(new)
        ip.storeBytes(of: (~fold(sum)).bigEndian, toByteOffset: 10, as: UInt16.self)
    }

    /// Recomputes an IPv4 header checksum in place.
    @inlinable
    public static func fixIPv4Header(_ ip: UnsafeMutableRawPointer, headerLength: Int) {
        ip.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        ip.storeBytes(of: compute(ip, count: headerLength).bigEndian, toByteOffset: 10, as: UInt16.self)
    }
}
