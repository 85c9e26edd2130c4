// IPv6 addresses and prefixes: the 128-bit value the datapath compares, the text forms of RFC 4291
// (with "::" and a dotted IPv4 tail) read without libc, and the canonical text of RFC 5952 written the
// way glibc's inet_ntop writes it (so tables, logs and the API print what `ip` prints).

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

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { i in UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> (48 - 16 * UInt64(i % 4))) }
    }

    public init(groups g: [UInt16]) {
        precondition(g.count == 8)
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(g[i]); l = l << 16 | UInt64(g[i + 4]) }
        high = h; low = l
    }

    /// Text form to address: hexadecimal groups, at most one "::", optionally a dotted IPv4 tail in the
    /// last 32 bits ("::ffff:10.0.0.1"). No zone index ("%eth0") and no brackets.
    public static func parse(_ text: some StringProtocol) -> IPv6Address? {
        let s = Substring(text)
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        // Split at the one "::" (a second one is an error: the tail's groups would then hold an empty field).
        var halves = [s]
        var i = s.startIndex
        while i < s.endIndex, s.index(after: i) < s.endIndex {
            if s[i] == ":" && s[s.index(after: i)] == ":" {
                halves = [s[..<i], s[s.index(i, offsetBy: 2)...]]
                break
            }
            i = s.index(after: i)
        }
        let compressed = halves.count == 2
        func groups(_ part: Substring, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, f) in fields.enumerated() {
                if last && i == fields.count - 1 && f.contains(".") {
                    guard let v4 = IPv4Address.parse(f) else { return nil }
                    out += [UInt16(truncatingIfNeeded: v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                } else {
                    guard (1...4).contains(f.count), let v = UInt16(f, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        guard let h = groups(halves[0], last: !compressed) else { return nil }
        head = h
        if compressed {
            guard let t = groups(halves[1], last: true) else { return nil }
            tail = t
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let zeros = [UInt16](repeating: 0, count: 8 - head.count - tail.count)
        return IPv6Address(groups: head + zeros + tail)
    }

    /// The link-local address a host forms from its MAC (modified EUI-64, RFC 4291 appendix A): what
    /// Linux uses unless told otherwise.
    public static func linkLocal(eui64 mac: MACAddress) -> IPv6Address {
        let m = mac.rawValue ^ 0x0200_0000_0000   // flip the universal/local bit
        let iid = (m >> 24) << 40 | 0xFF_FE00_0000 as UInt64 | (m & 0xFF_FFFF)
        return IPv6Address(high: 0xFE80_0000_0000_0000, low: iid)
    }

    /// RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups (the first
    /// of equals) as "::"; IPv4-mapped and IPv4-compatible addresses end in dotted form, as glibc writes them.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if i == 6 && bestStart == 0 && (bestLength == 6 || (bestLength == 5 && g[5] == 0xFFFF)) {
                if !out.hasSuffix(":") { out += ":" }
                out += IPv4Address.format(UInt32(truncatingIfNeeded: low))
                break
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(g[i], radix: 16)
            i += 1
        }
        return out
    }
}

/// An IPv6 prefix ("2001:db8:1::/64").
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv6Address
    public var length: Int
    public init(address: IPv6Address, length: Int) { self.address = address; self.length = length }
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv6Address.parse(parts[0]), let l = Int(parts[1]), (0...128).contains(l) else { return nil }
        address = a; length = l
    }
    /// The mask's two halves.
    public var mask: (UInt64, UInt64) {
        let h: UInt64 = length >= 64 ? ~0 : length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length)
        let l: UInt64 = length >= 128 ? ~0 : length <= 64 ? 0 : ~UInt64(0) << UInt64(128 - length)
        return (h, l)
    }
    public var network: IPv6Address { IPv6Address(high: address.high & mask.0, low: address.low & mask.1) }
    public func contains(_ a: IPv6Address) -> Bool {
        let m = mask
        return a.high & m.0 == address.high & m.0 && a.low & m.1 == address.low & m.1
    }
    public var description: String { "\(network)/\(length)" }
}
