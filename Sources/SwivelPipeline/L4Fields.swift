import SwivelCore
import SwivelPacket

/// The transport view of an IPv4 packet that connection tracking and the security groups read: addresses,
/// ports (or ICMP echo ids), TCP flags, sequence numbers and windows, the fragment state, and the
/// packet an ICMP error quotes. Parsed once per check.
public struct L4Fields {
    public var source: UInt32 = 0, destination: UInt32 = 0
    public var proto: UInt8 = 0
    /// The connection key's ports: TCP/UDP ports; ICMP echo id paired with 0x0800 (requests carry
    /// (id, 0x0800), replies (0x0800, id), so a reply finds its request reversed); 0 otherwise.
    public var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
    /// What rules match: the destination port, or ICMP type << 8 | code.
    public var rulePort: UInt16 = 0
    public var tcpFlags: UInt8 = 0
    public var seq: UInt32 = 0, ack: UInt32 = 0, window: UInt16 = 0, payload: UInt32 = 0
    public var windowScale: UInt8 = 0xFF
    public var icmpType: UInt8 = 0
    /// 0: not a fragment, 1: first fragment, 2: a later one.
    public var fragment: UInt8 = 0
    public var ipID: UInt16 = 0
    public var l4Offset: Int = 0
    public var totalLength: Int = 0
    @inlinable public init() {}

    public static let tcpFIN: UInt8 = 0x01, tcpSYN: UInt8 = 0x02, tcpRST: UInt8 = 0x04, tcpACK: UInt8 = 0x10

    /// Reads the IPv4 header at `l3` and the transport header behind it; nil when they are cut short or invalid.
    @inlinable
    public static func parse(_ p: UnsafeRawPointer, l3: Int, available: Int) -> L4Fields? {
        guard available >= 20 else { return nil }
        let vihl = p.load(fromByteOffset: l3, as: UInt8.self)
        let ihl = Int(vihl & 0x0F) * 4
        let total = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 2, as: UInt16.self)))
        guard vihl >> 4 == 4, ihl >= 20, total >= ihl, total <= available else { return nil }
        var f = L4Fields()
        f.totalLength = total
        f.source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 12, as: UInt32.self))
        f.destination = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 16, as: UInt32.self))
        f.proto = p.load(fromByteOffset: l3 + 9, as: UInt8.self)
        f.ipID = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 4, as: UInt16.self))
        let fragmentField = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 6, as: UInt16.self))
        if fragmentField & 0x1FFF != 0 { f.fragment = 2; return f }
        if fragmentField & 0x2000 != 0 { f.fragment = 1 }
        let l4 = l3 + ihl
        let l4Length = total - ihl
        f.l4Offset = l4
        switch f.proto {
        case IPProtocol.tcp:
            guard l4Length >= 20 else { return nil }
            let dataOffset = Int(p.load(fromByteOffset: l4 + 12, as: UInt8.self) >> 4) * 4
            guard dataOffset >= 20, dataOffset <= l4Length else { return nil }
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
            f.rulePort = f.destinationPort
            f.seq = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt32.self))
            f.ack = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 8, as: UInt32.self))
            f.tcpFlags = p.load(fromByteOffset: l4 + 13, as: UInt8.self)
            f.window = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 14, as: UInt16.self))
            f.payload = UInt32(l4Length - dataOffset)
            if f.tcpFlags & tcpSYN != 0 {
                // The window scale option, announced only on SYNs.
                var o = l4 + 20
                while o < l4 + dataOffset {
                    let kind = p.load(fromByteOffset: o, as: UInt8.self)
                    if kind == 0 { break }
                    if kind == 1 { o += 1; continue }
                    guard o + 1 < l4 + dataOffset else { break }
                    let length = Int(p.load(fromByteOffset: o + 1, as: UInt8.self))
                    guard length >= 2, o + length <= l4 + dataOffset else { break }
                    if kind == 3 && length == 3 { f.windowScale = min(p.load(fromByteOffset: o + 2, as: UInt8.self), 14) }
                    o += length
                }
            }
        case IPProtocol.udp:
            guard l4Length >= 8 else { return nil }
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
            f.rulePort = f.destinationPort
            f.payload = UInt32(l4Length - 8)
        case IPProtocol.icmp:
            guard l4Length >= 8 else { return nil }
            f.icmpType = p.load(fromByteOffset: l4, as: UInt8.self)
            f.rulePort = UInt16(f.icmpType) << 8 | UInt16(p.load(fromByteOffset: l4 + 1, as: UInt8.self))
            let id = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt16.self))
            if f.icmpType == 8 { f.sourcePort = id; f.destinationPort = 0x0800 }
            if f.icmpType == 0 { f.sourcePort = 0x0800; f.destinationPort = id }
        default:
            break
        }
        return f
    }

    /// The packet an ICMP error quotes (its IPv4 header and first 8 bytes), at `offset`.
    @inlinable
    public static func parseQuoted(_ p: UnsafeRawPointer, at offset: Int, available: Int) -> L4Fields? {
        guard available >= 28 else { return nil }
        let ihl = Int(p.load(fromByteOffset: offset, as: UInt8.self) & 0x0F) * 4
        guard ihl >= 20, available >= ihl + 8 else { return nil }
        var f = L4Fields()
        f.source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
        f.destination = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
        f.proto = p.load(fromByteOffset: offset + 9, as: UInt8.self)
        let l4 = offset + ihl
        switch f.proto {
        case IPProtocol.tcp, IPProtocol.udp:
            f.sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4, as: UInt16.self))
            f.destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 2, as: UInt16.self))
        case IPProtocol.icmp:
            let type = p.load(fromByteOffset: l4, as: UInt8.self)
            let id = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l4 + 4, as: UInt16.self))
            if type == 8 { f.sourcePort = id; f.destinationPort = 0x0800 }
            if type == 0 { f.sourcePort = 0x0800; f.destinationPort = id }
        default: break
        }
        return f
    }

    @inlinable public var isICMPError: Bool {
        proto == IPProtocol.icmp && (icmpType == 3 || icmpType == 4 || icmpType == 5 || icmpType == 11 || icmpType == 12)
    }
    @inlinable public var isICMPEcho: Bool { proto == IPProtocol.icmp && (icmpType == 8 || icmpType == 0) }
}
