/// VXLAN (RFC 7348) on an IPv4 underlay: the 8-byte VXLAN header and the outer IPv4 and UDP headers
/// that carry it. The outer Ethernet header is the kernel's business (frames leave through a raw IP
/// socket, so the underlay's routing and ARP are the host's), which is why `outerLength` is 36, not 50.
public enum Vxlan {
    public static let headerLength = 8
    /// Outer IPv4 (20, no options) + UDP (8) + VXLAN (8), written in front of the inner Ethernet frame.
    public static let outerLength = 20 + 8 + headerLength
    /// What encapsulation costs against the underlay MTU: outer IPv4 + UDP + VXLAN + the inner Ethernet
    /// header. The inner MTU (IP packet size a workload may send) is the underlay MTU minus this.
    public static let overhead = outerLength + Ethernet.headerLength
    public static let defaultPort: UInt16 = 4789
    /// The I flag: the VNI field is valid. The only flag RFC 7348 defines.
    public static let flagVNI: UInt8 = 0x08
    /// Outer UDP source ports come from this range (RFC 7348 section 5: the dynamic/private range).
    public static let sourcePortBase: UInt16 = 49152

    /// Outcome of reading a VXLAN header.
    public enum HeaderError: Error, Equatable, Sendable { case short, badFlags }

    /// Reads the VNI of a VXLAN header (the UDP payload at `p`). `length` is the whole payload: it must
    /// also hold an inner Ethernet header. Flags other than I are refused, as the Linux vxlan driver does
    /// without its GBP/GPE extensions; the reserved fields are ignored (RFC 7348 section 5).
    @inlinable @inline(__always)
    public static func readVNI(_ p: UnsafeRawPointer, length: Int) -> Result<UInt32, HeaderError> {
        guard length >= headerLength + Ethernet.headerLength else { return .failure(.short) }
        guard p.load(as: UInt8.self) == flagVNI else { return .failure(.badFlags) }
        return .success(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8)
    }

    /// Writes the outer IPv4, UDP and VXLAN headers into the `outerLength` bytes before `inner` (the
    /// inner Ethernet header), for an inner frame of `innerLength` bytes. The UDP checksum is zero, as
    /// RFC 7348 recommends for IPv4; the IPv4 header checksum is computed here.
    @inlinable @inline(__always)
    public static func writeOuter(before inner: UnsafeMutableRawPointer, innerLength: Int, source: UInt32, destination: UInt32,
                                  sourcePort: UInt16, destinationPort: UInt16, vni: UInt32, ttl: UInt8, dontFragment: Bool) {
        let ip = inner - outerLength
        let total = outerLength + innerLength
        ip.storeBytes(of: UInt16(0x4500).bigEndian, as: UInt16.self)                       // version 4, IHL 5, DSCP 0
        ip.storeBytes(of: UInt16(truncatingIfNeeded: total).bigEndian, toByteOffset: 2, as: UInt16.self)
        ip.storeBytes(of: UInt16(0).bigEndian, toByteOffset: 4, as: UInt16.self)           // identification
        ip.storeBytes(of: (dontFragment ? UInt16(0x4000) : 0).bigEndian, toByteOffset: 6, as: UInt16.self)
        ip.storeBytes(of: (UInt16(ttl) << 8 | UInt16(IPProtocol.udp)).bigEndian, toByteOffset: 8, as: UInt16.self)
        ip.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
        ip.storeBytes(of: source.bigEndian, toByteOffset: 12, as: UInt32.self)
        ip.storeBytes(of: destination.bigEndian, toByteOffset: 16, as: UInt32.self)
        ip.storeBytes(of: Checksum.compute(ip, count: 20).bigEndian, toByteOffset: 10, as: UInt16.self)
        let udp = ip + 20
        udp.storeBytes(of: sourcePort.bigEndian, as: UInt16.self)
        udp.storeBytes(of: destinationPort.bigEndian, toByteOffset: 2, as: UInt16.self)
        udp.storeBytes(of: UInt16(truncatingIfNeeded: total - 20).bigEndian, toByteOffset: 4, as: UInt16.self)
        udp.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        let vx = udp + 8
        vx.storeBytes(of: (UInt32(flagVNI) << 24).bigEndian, as: UInt32.self)   // flags, then 24 reserved bits
        vx.storeBytes(of: (vni << 8).bigEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// The outer UDP source port for an inner frame: a hash of its MACs and, for IPv4, its addresses
    /// and TCP/UDP ports, so one inner flow keeps one outer 5-tuple (underlay ECMP and RSS spread flows,
    /// never reorder one). Reads only within `length`.
    @inlinable @inline(__always)
    public static func sourcePort(inner p: UnsafeRawPointer, length: Int) -> UInt16 {
        var h = p.loadUnaligned(as: UInt64.self) ^ (p.loadUnaligned(fromByteOffset: 6, as: UInt64.self) &* 0x9E37_79B9_7F4A_7C15)
        if length >= 34 && UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt16.self)) == EtherType.ipv4 {
            let ip = p + 14
            let ihl = Int(ip.load(as: UInt8.self) & 0x0F) * 4
            h ^= ip.loadUnaligned(fromByteOffset: 12, as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F
            let proto = ip.load(fromByteOffset: 9, as: UInt8.self)
            let firstFragment = UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1FFF == 0
            if (proto == IPProtocol.tcp || proto == IPProtocol.udp) && firstFragment && ihl >= 20 && length >= 14 + ihl + 4 {
                h ^= UInt64(ip.loadUnaligned(fromByteOffset: ihl, as: UInt32.self)) &* 0x1656_67B1_9E37_79F9
            }
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return sourcePortBase | UInt16(truncatingIfNeeded: h) & 0x3FFF
    }
}
