import SwivelAddress

// Views of the network-layer headers every stage reads: IPv4, IPv6 with its extension-header chain, ARP.
// A view is a pointer to a header's first byte with its fields as properties, read on demand in network
// byte order (no copy, no allocation: the fast path's way, like VPP's ip4_header_t or Snabb's header
// classes). Making a view checks only that the fixed header is there (`minimumLength` bytes available);
// what a well-formed header is (IHL, lengths, checksums) is each stage's decision, since a port-security
// check, a router and a checksum completer must judge malformed headers differently.

/// An IPv4 header (RFC 791).
public struct IPv4Header {
    public let base: UnsafeRawPointer
    public static let minimumLength = 20

    /// A view of the header at `offset`; nil when fewer than 20 bytes are there.
    @inlinable @inline(__always)
    public init?(_ p: UnsafeRawPointer, at offset: Int, available: Int) {
        guard available >= Self.minimumLength else { return nil }
        base = p + offset
    }

    /// A view of bytes the caller knows hold 20 or more.
    @inlinable @inline(__always) public init(unchecked p: UnsafeRawPointer) { base = p }

    @inlinable public var version: UInt8 { base.load(as: UInt8.self) >> 4 }
    /// IHL in bytes (may be below 20 in a malformed header).
    @inlinable public var headerLength: Int { Int(base.load(as: UInt8.self) & 0x0F) * 4 }
    @inlinable public var totalLength: Int { Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))) }
    @inlinable public var identification: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) }
    /// Flags and fragment offset as on the wire.
    @inlinable public var fragmentField: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) }
    @inlinable public var dontFragment: Bool { fragmentField & 0x4000 != 0 }
    @inlinable public var moreFragments: Bool { fragmentField & 0x2000 != 0 }
    /// Any fragment: more fragments follow, or this is not the first.
    @inlinable public var isFragment: Bool { fragmentField & 0x3FFF != 0 }
    /// A fragment other than the first (it carries no transport header).
    @inlinable public var isLaterFragment: Bool { fragmentField & 0x1FFF != 0 }
    @inlinable public var ttl: UInt8 { base.load(fromByteOffset: 8, as: UInt8.self) }
    @inlinable public var proto: UInt8 { base.load(fromByteOffset: 9, as: UInt8.self) }
    @inlinable public var source: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }
    @inlinable public var destination: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) }

    /// Version 4, IHL of at least 20 bytes, and header and total length within the bytes available.
    @inlinable public func isWellFormed(available: Int) -> Bool {
        let ihl = headerLength
        let total = totalLength
        return version == 4 && ihl >= 20 && ihl <= available && total >= ihl && total <= available
    }
}

/// An IPv6 header (RFC 8200) and the walk to its upper-layer header.
public struct IPv6Header {
    public let base: UnsafeRawPointer
    public static let minimumLength = 40

    @inlinable @inline(__always)
    public init?(_ p: UnsafeRawPointer, at offset: Int, available: Int) {
        guard available >= Self.minimumLength else { return nil }
        base = p + offset
    }

    @inlinable public var payloadLength: Int { Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self))) }
    @inlinable public var nextHeader: UInt8 { base.load(fromByteOffset: 6, as: UInt8.self) }
    @inlinable public var hopLimit: UInt8 { base.load(fromByteOffset: 7, as: UInt8.self) }
    @inlinable public var source: IPv6Address { IPv6Address(loadingFrom: base + 8) }
    @inlinable public var destination: IPv6Address { IPv6Address(loadingFrom: base + 24) }

    /// Where the upper-layer header is, behind every extension header.
    public struct UpperLayer: Equatable {
        /// The upper-layer protocol (TCP, UDP, ICMPv6...), or the header the walk stopped at.
        public var proto: UInt8
        /// Its offset from the IPv6 header's first byte.
        public var offset: Int
        /// A fragment other than the first: it carries no upper-layer header.
        public var laterFragment: Bool
        @inlinable public init(proto: UInt8, offset: Int, laterFragment: Bool) {
            self.proto = proto; self.offset = offset; self.laterFragment = laterFragment
        }
    }

    /// Follows the extension headers (hop-by-hop, routing, destination options, mobility, HIP, shim6,
    /// experiments, authentication, fragment) however many there are; each is at least 8 bytes, so the walk
    /// ends within the packet. `available` bounds it: the packet ends where its payload length says (bytes
    /// after it are padding), or where the frame does. Nil when an extension header's first 8 bytes (its
    /// next-header and length fields) lie past the end: a guard that gave up early would pass what it
    /// cannot see. The upper layer's offset itself may lie at or past the end; callers check the bytes
    /// they read there.
    @inlinable
    public func upperLayer(available: Int) -> UpperLayer? {
        let end = min(available, Self.minimumLength + payloadLength)
        var next = nextHeader
        var offset = Self.minimumLength
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140, 253, 254:
                guard offset + 8 <= end else { return nil }
                next = base.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case 51:   // authentication header: length in 4-byte units
                guard offset + 8 <= end else { return nil }
                next = base.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 2) * 4
            case 44:   // fragment
                guard offset + 8 <= end else { return nil }
                let fragmentOffset = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) >> 3
                next = base.load(fromByteOffset: offset, as: UInt8.self)
                offset += 8
                if fragmentOffset != 0 { return UpperLayer(proto: next, offset: offset, laterFragment: true) }
            default:
                return UpperLayer(proto: next, offset: offset, laterFragment: false)
            }
        }
    }

    /// Where the payload ends, counted from the IPv6 header: its payload length, or the frame's end.
    @inlinable public func end(available: Int) -> Int { min(available, Self.minimumLength + payloadLength) }
}

/// An ARP packet for IPv4 over Ethernet (RFC 826).
public struct ARPHeader {
    public let base: UnsafeRawPointer
    public static let length = 28

    @inlinable @inline(__always)
    public init?(_ p: UnsafeRawPointer, at offset: Int, available: Int) {
        guard available >= Self.length else { return nil }
        base = p + offset
    }

    /// Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses: the only kind a switch resolves.
    @inlinable public var isEthernetIPv4: Bool {
        UInt16(bigEndian: base.loadUnaligned(as: UInt16.self)) == 1
            && UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) == EtherType.ipv4
            && UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == 0x0604
    }
    /// 1: request, 2: reply.
    @inlinable public var operation: UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) }
    @inlinable public var senderMAC: MACAddress { MACAddress(loadingFrom: base + 8) }
    @inlinable public var senderIP: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 14, as: UInt32.self)) }
    @inlinable public var targetMAC: MACAddress { MACAddress(loadingFrom: base + 18) }
    @inlinable public var targetIP: UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 24, as: UInt32.self)) }
}
