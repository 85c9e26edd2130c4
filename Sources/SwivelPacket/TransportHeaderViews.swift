import SwivelAddress

// Views of the transport headers: TCP, UDP, ICMP, ICMPv6. Like the IP views (IPHeaderViews.swift), a
// pointer to the header's first byte with fields read on demand; the caller has checked the bytes are
// there (`minimumLength`).

/// A TCP header (RFC 9293).
public struct TCPHeader {
    public let base: UnsafeRawPointer
    public static let minimumLength = 20
    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, ack: UInt8 = 0x10
    /// Where the checksum field is, from the header's first byte.
    public static let checksumOffset = 16

    @inlinable @inline(__always) public init(unchecked p: UnsafeRawPointer) { base = p }

    @inlinable public var sourcePort: UInt16 { UInt16(bigEndian: base.loadUnaligned(as: UInt16.self)) }
    @inlinable public var destinationPort: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    @inlinable public var sequence: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
    @inlinable public var acknowledgment: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
    /// The header's length with options, in bytes.
    @inlinable public var dataOffset: Int { Int(base.load(fromByteOffset: 12, as: UInt8.self) >> 4) * 4 }
    @inlinable public var flags: UInt8 { base.load(fromByteOffset: 13, as: UInt8.self) }
    @inlinable public var window: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 14, as: UInt16.self)) }

    /// The window scale option (RFC 7323), capped at 14, or 0xFF when absent. Reads the options within
    /// `dataOffset` bytes, which the caller has checked are there; a malformed option ends the walk.
    @inlinable public var windowScale: UInt8 {
        let end = dataOffset
        var o = Self.minimumLength
        while o < end {
            let kind = base.load(fromByteOffset: o, as: UInt8.self)
            if kind == 0 { break }
            if kind == 1 { o += 1; continue }
            guard o + 1 < end else { break }
            let length = Int(base.load(fromByteOffset: o + 1, as: UInt8.self))
            guard length >= 2, o + length <= end else { break }
            if kind == 3 && length == 3 { return min(base.load(fromByteOffset: o + 2, as: UInt8.self), 14) }
            o += length
        }
        return 0xFF
    }
}

/// A UDP header (RFC 768).
public struct UDPHeader {
    public let base: UnsafeRawPointer
    public static let length = 8
    public static let checksumOffset = 6
    @inlinable @inline(__always) public init(unchecked p: UnsafeRawPointer) { base = p }
    @inlinable public var sourcePort: UInt16 { UInt16(bigEndian: base.loadUnaligned(as: UInt16.self)) }
    @inlinable public var destinationPort: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    @inlinable public var totalLength: Int { Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self))) }
}

/// An ICMP header (RFC 792): type, code, and for echo the identifier.
public struct ICMPHeader {
    public let base: UnsafeRawPointer
    public static let length = 8
    public static let echoReply: UInt8 = 0, unreachable: UInt8 = 3, sourceQuench: UInt8 = 4, redirect: UInt8 = 5
    public static let echoRequest: UInt8 = 8, timeExceeded: UInt8 = 11, parameterProblem: UInt8 = 12
    @inlinable @inline(__always) public init(unchecked p: UnsafeRawPointer) { base = p }
    @inlinable public var type: UInt8 { base.load(as: UInt8.self) }
    @inlinable public var code: UInt8 { base.load(fromByteOffset: 1, as: UInt8.self) }
    @inlinable public var checksum: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    /// Echo request and reply: the identifier.
    @inlinable public var identifier: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) }
    /// An error that quotes the packet that caused it (unreachable, source quench, redirect, time
    /// exceeded, parameter problem).
    @inlinable public static func isError(_ type: UInt8) -> Bool {
        type == unreachable || type == sourceQuench || type == redirect || type == timeExceeded || type == parameterProblem
    }
}

/// An ICMPv6 header (RFC 4443) and the neighbour-discovery messages' fields (RFC 4861).
public struct ICMPv6Header {
    public let base: UnsafeRawPointer
    public static let minimumLength = 4
    public static let routerSolicitation: UInt8 = 133, routerAdvertisement: UInt8 = 134
    public static let neighborSolicitation: UInt8 = 135, neighborAdvertisement: UInt8 = 136, redirect: UInt8 = 137
    @inlinable @inline(__always) public init(unchecked p: UnsafeRawPointer) { base = p }
    @inlinable public var type: UInt8 { base.load(as: UInt8.self) }
    @inlinable public var code: UInt8 { base.load(fromByteOffset: 1, as: UInt8.self) }
    /// Neighbour solicitation and advertisement (24 bytes or more): the target address.
    @inlinable public var target: IPv6Address { IPv6Address(loadingFrom: base + 8) }
}
