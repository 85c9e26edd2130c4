import Glibc

/// An IPv6 address as two big-endian-ordered halves (compared as values in the fast path).
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    @inlinable @inline(__always)
    public init(loadingFrom p: UnsafeRawPointer) {
        high = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        low = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    public static let unspecified = IPv6Address(high: 0, low: 0)

    /// Text form to address (control path).
    public static func parse(_ text: String) -> IPv6Address? {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        return withUnsafeBytes(of: &raw) { IPv6Address(loadingFrom: $0.baseAddress!) }
    }

    /// The link-local address a host forms from its MAC (modified EUI-64, RFC 4291 appendix A): what
    /// Linux uses unless told otherwise.
    public static func linkLocal(eui64 mac: MACAddress) -> IPv6Address {
        let m = mac.rawValue ^ 0x0200_0000_0000   // flip the universal/local bit
        let iid = (m >> 24) << 40 | 0xFF_FE00_0000 as UInt64 | (m & 0xFF_FFFF)
        return IPv6Address(high: 0xFE80_0000_0000_0000, low: iid)
    }

    public var description: String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) {
            $0.storeBytes(of: high.bigEndian, as: UInt64.self)
            $0.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &raw, &buf, socklen_t(buf.count))
        return String(cString: buf)
    }
}
