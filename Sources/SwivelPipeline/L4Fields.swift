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

    public static let tcpFIN = TCPHeader.fin, tcpSYN = TCPHeader.syn, tcpRST = TCPHeader.rst, tcpACK = TCPHeader.ack

    /// Reads the IPv4 header at `l3` and the transport header behind it; nil when they are cut short or invalid.
    @inlinable
    public static func parse(_ p: UnsafeRawPointer, l3: Int, available: Int) -> L4Fields? {
        guard let ip = IPv4Header(p, at: l3, available: available) else { return nil }
        let ihl = ip.headerLength
        let total = ip.totalLength
        guard ip.version == 4, ihl >= 20, total >= ihl, total <= available else { return nil }
        var f = L4Fields()
        f.totalLength = total
        f.source = ip.source
        f.destination = ip.destination
        f.proto = ip.proto
        f.ipID = ip.identification
        if ip.isLaterFragment { f.fragment = 2; return f }
        if ip.moreFragments { f.fragment = 1 }
        let l4 = l3 + ihl
        let l4Length = total - ihl
        f.l4Offset = l4
        switch f.proto {
        case IPProtocol.tcp:
            guard l4Length >= TCPHeader.minimumLength else { return nil }
            let tcp = TCPHeader(unchecked: p + l4)
            let dataOffset = tcp.dataOffset
            guard dataOffset >= TCPHeader.minimumLength, dataOffset <= l4Length else { return nil }
            f.sourcePort = tcp.sourcePort
            f.destinationPort = tcp.destinationPort
            f.rulePort = f.destinationPort
            f.seq = tcp.sequence
            f.ack = tcp.acknowledgment
            f.tcpFlags = tcp.flags
            f.window = tcp.window
            f.payload = UInt32(l4Length - dataOffset)
            if f.tcpFlags & tcpSYN != 0 { f.windowScale = tcp.windowScale }   // announced only on SYNs
        case IPProtocol.udp:
            guard l4Length >= UDPHeader.length else { return nil }
            let udp = UDPHeader(unchecked: p + l4)
            f.sourcePort = udp.sourcePort
            f.destinationPort = udp.destinationPort
            f.rulePort = f.destinationPort
            f.payload = UInt32(l4Length - UDPHeader.length)
        case IPProtocol.icmp:
            guard l4Length >= ICMPHeader.length else { return nil }
            let icmp = ICMPHeader(unchecked: p + l4)
            f.icmpType = icmp.type
            f.rulePort = UInt16(f.icmpType) << 8 | UInt16(icmp.code)
            f.setEchoPorts(type: f.icmpType, identifier: icmp.identifier)
        default:
            break
        }
        return f
    }

    /// The packet an ICMP error quotes (its IPv4 header and first 8 bytes), at `offset`.
    @inlinable
    public static func parseQuoted(_ p: UnsafeRawPointer, at offset: Int, available: Int) -> L4Fields? {
        guard available >= IPv4Header.minimumLength + 8 else { return nil }
        let ip = IPv4Header(unchecked: p + offset)
        let ihl = ip.headerLength
        guard ihl >= 20, available >= ihl + 8 else { return nil }
        var f = L4Fields()
        f.source = ip.source
        f.destination = ip.destination
        f.proto = ip.proto
        let l4 = p + offset + ihl
        switch f.proto {
        case IPProtocol.tcp, IPProtocol.udp:
            let ports = UDPHeader(unchecked: l4)   // TCP's ports sit where UDP's do
            f.sourcePort = ports.sourcePort
            f.destinationPort = ports.destinationPort
        case IPProtocol.icmp:
            let icmp = ICMPHeader(unchecked: l4)
            f.setEchoPorts(type: icmp.type, identifier: icmp.identifier)
        default: break
        }
        return f
    }

    /// ICMP echo in the connection key: a request carries (id, 0x0800), a reply (0x0800, id), so a reply
    /// finds its request reversed.
    @inlinable
    mutating func setEchoPorts(type: UInt8, identifier: UInt16) {
        if type == ICMPHeader.echoRequest { sourcePort = identifier; destinationPort = 0x0800 }
        if type == ICMPHeader.echoReply { sourcePort = 0x0800; destinationPort = identifier }
    }

    @inlinable public var isICMPError: Bool { proto == IPProtocol.icmp && ICMPHeader.isError(icmpType) }
    @inlinable public var isICMPEcho: Bool { proto == IPProtocol.icmp && (icmpType == 8 || icmpType == 0) }
}
