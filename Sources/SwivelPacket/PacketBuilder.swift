import SwivelAddress
/// Builds well-formed frames as byte arrays, for tests, fixtures, demos and control-plane replies.
/// Not for the fast path (it allocates).
public enum PacketBuilder {
    public static func ethernet(destination: MACAddress, source: MACAddress, etherType: UInt16,
                                vlan: UInt16? = nil, payload: [UInt8]) -> [UInt8] {
        var f = destination.bytes + source.bytes
        if let vlan { f += be16(EtherType.vlan) + be16(vlan & 0x0FFF) }
        return f + be16(etherType) + payload
    }

    public static func arpRequest(source: MACAddress, senderIP: UInt32, targetIP: UInt32) -> [UInt8] {
        let arp = be16(1) + be16(EtherType.ipv4) + [6, 4] + be16(1) + source.bytes + be32(senderIP)
            + [0, 0, 0, 0, 0, 0] + be32(targetIP)
        return ethernet(destination: .broadcast, source: source, etherType: EtherType.arp, payload: arp)
    }

    /// Any ARP packet; `senderMAC` defaults to the Ethernet source (a forger may make them differ).
    public static func arp(operation: UInt16, source: MACAddress, destination: MACAddress = .broadcast,
                           senderMAC: MACAddress? = nil, senderIP: UInt32, targetMAC: MACAddress = .zero,
                           targetIP: UInt32) -> [UInt8] {
        let arp = be16(1) + be16(EtherType.ipv4) + [6, 4] + be16(operation) + (senderMAC ?? source).bytes + be32(senderIP)
            + targetMAC.bytes + be32(targetIP)
        return ethernet(destination: destination, source: source, etherType: EtherType.arp, payload: arp)
    }

    /// An IPv6 header in front of `payload` (upper-layer checksums are the caller's).
    public static func ipv6(source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, hopLimit: UInt8 = 255,
                            payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [nextHeader, hopLimit]
            + be64(source.high) + be64(source.low) + be64(destination.high) + be64(destination.low) + payload
    }

    public static func ipv4(source: UInt32, destination: UInt32, proto: UInt8, ttl: UInt8 = 64, id: UInt16 = 1,
                            dontFragment: Bool = true, payload: [UInt8]) -> [UInt8] {
        var h = [0x45, 0] + be16(UInt16(20 + payload.count)) + be16(id) + be16(dontFragment ? 0x4000 : 0)
            + [ttl, proto, 0, 0] + be32(source) + be32(destination)
        let c = h.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: 20) }
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xFF)
        return h + payload
    }

    public static func udp(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16,
                           payload: [UInt8]) -> [UInt8] {
        var u = be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
        let pseudo = Checksum.pseudoHeaderIPv4(source: source, destination: destination, proto: IPProtocol.udp, length: u.count)
        var c = u.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count, initial: pseudo) }
        if c == 0 { c = 0xFFFF }
        u[6] = UInt8(c >> 8); u[7] = UInt8(c & 0xFF)
        return ipv4(source: source, destination: destination, proto: IPProtocol.udp, payload: u)
    }

    /// A TCP segment in IPv4. With `partialChecksum` the checksum field holds only the pseudo-header sum,
    /// as a stack with checksum offload leaves it (CHECKSUM_PARTIAL).
    public static func tcp(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16,
                           sequence: UInt32, acknowledgment: UInt32 = 1, flags: UInt8 = 0x18, id: UInt16 = 1, payload: [UInt8],
                           partialChecksum: Bool = false) -> [UInt8] {
        var t = be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment) + [0x50, flags] + be16(65535)
            + [0, 0, 0, 0] + payload
        let pseudo = Checksum.pseudoHeaderIPv4(source: source, destination: destination, proto: IPProtocol.tcp, length: t.count)
        let c = partialChecksum ? Checksum.fold(pseudo)
            : t.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count, initial: pseudo) }
        t[16] = UInt8(c >> 8); t[17] = UInt8(c & 0xFF)
        return ipv4(source: source, destination: destination, proto: IPProtocol.tcp, id: id, payload: t)
    }

    public static func icmpEcho(source: UInt32, destination: UInt32, identifier: UInt16, sequence: UInt16,
                                payload: [UInt8] = Array(repeating: 0x5A, count: 32)) -> [UInt8] {
        var i = [8, 0, 0, 0] + be16(identifier) + be16(sequence) + payload
        let c = i.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count) }
        i[2] = UInt8(c >> 8); i[3] = UInt8(c & 0xFF)
        return ipv4(source: source, destination: destination, proto: IPProtocol.icmp, payload: i)
    }

    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    public static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xFFFF_FFFF)) }
    public static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
