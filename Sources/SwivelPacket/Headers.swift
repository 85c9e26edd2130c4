import SwivelAddress
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100      // 802.1Q
    public static let qinq: UInt16 = 0x88A8      // 802.1ad
    public static let legacyQinQ: UInt16 = 0x9100 // pre-802.1ad service tags, still sent by some gear
    public static let ipv6: UInt16 = 0x86DD
}

public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmpv6: UInt8 = 58
}

/// Why a frame failed to parse. Each case is a per-port drop counter.
public enum ParseError: UInt8, Error, Sendable {
    case runt           // shorter than an Ethernet header (14 bytes)
    case truncatedTag   // a VLAN tag announced but cut off
}

/// The outcome of parsing the Ethernet layer of a frame.
public struct EthernetInfo: Equatable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    public var vlan: UInt16          // outermost 802.1Q VID, 0 when untagged
    public var tagCount: UInt8
    public var outerTagType: UInt16  // TPID of the outermost tag (0x8100, 0x88A8), 0 when untagged
    public var etherType: UInt16     // after the tags
    public var l3Offset: UInt16

    @inlinable public init(destination: MACAddress, source: MACAddress, vlan: UInt16, tagCount: UInt8,
                           etherType: UInt16, l3Offset: UInt16) {
        self.destination = destination; self.source = source; self.vlan = vlan
        self.tagCount = tagCount; self.etherType = etherType; self.l3Offset = l3Offset
        outerTagType = 0
    }
}

public enum Ethernet {
    public static let headerLength = 14
    public static let minimumFrame = 14

    /// Parses the Ethernet header and every VLAN tag (802.1Q, 802.1ad, 0x9100), however many the frame
    /// carries: the EtherType after them is the real one, so no stage mistakes a tagged payload for
    /// something else. Never reads past `length`; `tagCount` saturates at 255.
    @inlinable @inline(__always)
    public static func parse(_ p: UnsafeRawPointer, length: Int) -> Result<EthernetInfo, ParseError> {
        guard length >= headerLength else { return .failure(.runt) }
        var info = EthernetInfo(destination: MACAddress(loadingFrom: p), source: MACAddress(loadingFrom: p + 6),
                                vlan: 0, tagCount: 0, etherType: 0, l3Offset: 14)
        var offset = 12
        var type = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        while type == EtherType.vlan || type == EtherType.qinq || type == EtherType.legacyQinQ {
            guard length >= offset + 6 else { return .failure(.truncatedTag) }
            let tci = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
            if info.tagCount == 0 { info.vlan = tci & 0x0FFF; info.outerTagType = type }
            if info.tagCount < 255 { info.tagCount += 1 }
            offset += 4
            type = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        info.etherType = type
        info.l3Offset = UInt16(offset + 2)
        return .success(info)
    }
}
