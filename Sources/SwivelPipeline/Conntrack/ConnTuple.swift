import SwivelPacket
import SwivelAddress

// Connection tracking's keys: which zone a connection lives in, and the tuple that names it in one
// direction. Sized for IPv6 from the start (IPv4 addresses are stored IPv4-mapped, ::ffff:a.b.c.d), so
// IPv6, NAT and the load balancer use the same table as the security groups.

/// A table of connections of its own inside the one connection table: each guarded port has one (its
/// security groups' connections, as OVN gives each logical port a zone) and each router has one (what
/// NAT and the load balancer translate). A frame that a router forwards between guarded ports may be
/// looked up in three zones in one pass: the sender's port zone, the router's, the receiver's port zone.
public struct ConnZone: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// kind << 16 | id (kind 0: port, 1: router).
    public let raw: UInt32
    @inlinable init(raw: UInt32) { self.raw = raw }
    @inlinable public static func port(_ id: Int) -> ConnZone { ConnZone(raw: UInt32(UInt16(truncatingIfNeeded: id))) }
    @inlinable public static func router(_ id: Int) -> ConnZone { ConnZone(raw: 1 << 16 | UInt32(UInt16(truncatingIfNeeded: id))) }
    @inlinable public var isRouter: Bool { raw >> 16 == 1 }
    /// The port's or the router's id.
    @inlinable public var id: Int { Int(raw & 0xFFFF) }
    /// Zones are counted in one array: ports first, then routers.
    public static let count = 2 << 16
    @inlinable public var index: Int { Int(raw >> 16) << 16 | Int(raw & 0xFFFF) }
    public var description: String { isRouter ? "router#\(id)" : "port#\(id)" }
}

/// One direction of a connection in one zone: addresses, ports (ICMP echo: the id paired with 0x0800),
/// protocol and zone. 40 bytes of plain bits.
public struct ConnTuple: TableKey, Sendable {
    /// The addresses as 128-bit big-endian halves.
    public var source: (UInt64, UInt64)
    public var destination: (UInt64, UInt64)
    /// source port << 48 | destination port << 32 | protocol << 24 | zone (kind << 16 | id)
    public var rest: UInt64

    /// ::ffff:0:0/96, the high half and the top of the low half of an IPv4-mapped address.
    public static let mappedPrefix: UInt64 = 0xFFFF_0000_0000

    @inlinable
    public init(source: (UInt64, UInt64), destination: (UInt64, UInt64), sourcePort: UInt16, destinationPort: UInt16,
                protocol proto: UInt8, zone: ConnZone) {
        self.source = source
        self.destination = destination
        rest = UInt64(sourcePort) << 48 | UInt64(destinationPort) << 32 | UInt64(proto) << 24 | UInt64(zone.raw & 0x1_FFFF)
    }

    @inlinable
    public init(ipv4Source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16, protocol proto: UInt8,
                zone: ConnZone) {
        self.init(source: (0, Self.mappedPrefix | UInt64(ipv4Source)), destination: (0, Self.mappedPrefix | UInt64(destination)),
                  sourcePort: sourcePort, destinationPort: destinationPort, protocol: proto, zone: zone)
    }

    /// The IPv4 packet's tuple in `zone`.
    @inlinable
    public init(_ f: L4Fields, zone: ConnZone) {
        self.init(ipv4Source: f.source, destination: f.destination, sourcePort: f.sourcePort,
                  destinationPort: f.destinationPort, protocol: f.proto, zone: zone)
    }

    @inlinable public static func == (a: ConnTuple, b: ConnTuple) -> Bool {
        a.rest == b.rest && a.source.1 == b.source.1 && a.destination.1 == b.destination.1
            && a.source.0 == b.source.0 && a.destination.0 == b.destination.0
    }

    @inlinable public var hash64: UInt64 {
        let addresses = source.1 &* 0x9E37_79B9_7F4A_7C15 ^ destination.1 ^ (source.0 ^ destination.0 &* 0xC2B2_AE3D_27D4_EB4F)
        return mix64(addresses ^ (rest &* 0x1656_67B1_9E37_79F9))
    }

    @inlinable public var sourcePort: UInt16 { UInt16(truncatingIfNeeded: rest >> 48) }
    @inlinable public var destinationPort: UInt16 { UInt16(truncatingIfNeeded: rest >> 32) }
    @inlinable public var proto: UInt8 { UInt8(truncatingIfNeeded: rest >> 24) }
    @inlinable public var zone: ConnZone { ConnZone(raw: UInt32(truncatingIfNeeded: rest & 0x1_FFFF)) }
    @inlinable public var isIPv4: Bool { source.0 == 0 && source.1 >> 32 == 0xFFFF }
    /// The IPv4 addresses (meaningful when `isIPv4`).
    @inlinable public var sourceIPv4: UInt32 { UInt32(truncatingIfNeeded: source.1) }
    @inlinable public var destinationIPv4: UInt32 { UInt32(truncatingIfNeeded: destination.1) }
    public var sourceText: String { Self.text(source) }
    public var destinationText: String { Self.text(destination) }

    static func text(_ a: (UInt64, UInt64)) -> String {
        a.0 == 0 && a.1 >> 32 == 0xFFFF ? IPv4Address.format(UInt32(truncatingIfNeeded: a.1))
                                         : IPv6Address(high: a.0, low: a.1).description
    }

    /// The same connection seen from the other end, untranslated.
    @inlinable public var reversed: ConnTuple {
        var t = self
        t.source = destination
        t.destination = source
        t.rest = UInt64(destinationPort) << 48 | UInt64(sourcePort) << 32 | (rest & 0xFFFF_FFFF)
        return t
    }

    /// The same addresses and ports in another zone (one frame, looked up in several zones).
    @inlinable public func `in`(_ zone: ConnZone) -> ConnTuple {
        var t = self
        t.rest = rest & ~0x1_FFFF | UInt64(zone.raw & 0x1_FFFF)
        return t
    }
}

/// What a router zone's connection is translated to. The translated addresses themselves are the reply
/// tuple (it differs from the reversed original exactly when a connection is translated, as in Linux's
/// conntrack); the binding says which object made the translation, so removing the object ends its
/// connections. Port zones never translate.
public struct ConnBinding: Sendable, Equatable, BitwiseCopyable {
    public enum Kind: UInt8, Sendable, BitwiseCopyable { case none = 0, sourceNAT, destinationNAT, loadBalancer }
    public var kind: Kind
    /// The router gateway, floating IP or load balancer (its compiled id).
    public var object: UInt32
    @inlinable public init(kind: Kind = .none, object: UInt32 = 0) { self.kind = kind; self.object = object }
    public static let none = ConnBinding()
}

/// A later fragment's identity: it carries no ports, so it follows its first fragment by these.
public struct FragmentKey: TableKey {
    public var source: (UInt64, UInt64)
    public var destination: (UInt64, UInt64)
    /// fragment id << 32 (IPv6 ids are 32 bits) | protocol << 24 | zone
    public var rest: UInt64
    @inlinable public init(ipv4Source: UInt32, destination: UInt32, id: UInt32, protocol proto: UInt8, zone: ConnZone) {
        source = (0, ConnTuple.mappedPrefix | UInt64(ipv4Source))
        self.destination = (0, ConnTuple.mappedPrefix | UInt64(destination))
        rest = UInt64(id) << 32 | UInt64(proto) << 24 | UInt64(zone.raw & 0x1_FFFF)
    }
    @inlinable public init(_ f: L4Fields, zone: ConnZone) {
        self.init(ipv4Source: f.source, destination: f.destination, id: UInt32(f.ipID), protocol: f.proto, zone: zone)
    }
    @inlinable public static func == (a: FragmentKey, b: FragmentKey) -> Bool {
        a.rest == b.rest && a.source.1 == b.source.1 && a.destination.1 == b.destination.1
            && a.source.0 == b.source.0 && a.destination.0 == b.destination.0
    }
    @inlinable public var hash64: UInt64 {
        mix64(source.1 &* 0x9E37_79B9_7F4A_7C15 ^ destination.1 ^ (source.0 ^ destination.0) ^ (rest &* 0x1656_67B1_9E37_79F9))
    }
    @inlinable public var zone: ConnZone { ConnZone(raw: UInt32(truncatingIfNeeded: rest & 0x1_FFFF)) }
}
