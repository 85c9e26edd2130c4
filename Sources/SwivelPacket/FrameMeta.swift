import SwivelAddress
/// Offload state carried by a frame: the fields of the virtio-net header (`struct virtio_net_hdr`)
/// that the kernel hands us with PACKET_VNET_HDR / IFF_VNET_HDR, in host byte order.
public struct OffloadInfo: Equatable, Sendable {
    public var flags: UInt8          // VIRTIO_NET_HDR_F_NEEDS_CSUM (1), F_DATA_VALID (2)
    public var gsoType: UInt8        // VIRTIO_NET_HDR_GSO_*: 0 none, 1 TCPv4, 3 UDP, 4 TCPv6, |0x80 ECN
    public var headerLength: UInt16  // Ethernet + IP + L4 headers (a hint; may be 0)
    public var gsoSize: UInt16       // payload bytes per segment
    public var csumStart: UInt16     // from the start of the Ethernet header
    public var csumOffset: UInt16    // from csumStart to the checksum field

    @inlinable public init(flags: UInt8 = 0, gsoType: UInt8 = 0, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
                           csumStart: UInt16 = 0, csumOffset: UInt16 = 0) {
        self.flags = flags; self.gsoType = gsoType; self.headerLength = headerLength
        self.gsoSize = gsoSize; self.csumStart = csumStart; self.csumOffset = csumOffset
    }

    public static let needsChecksum: UInt8 = 1
    public static let dataValid: UInt8 = 2
    public static let gsoNone: UInt8 = 0
    public static let gsoTCPv4: UInt8 = 1
    public static let gsoUDP: UInt8 = 3
    public static let gsoTCPv6: UInt8 = 4
    public static let gsoECN: UInt8 = 0x80

    @inlinable public var isGSO: Bool { gsoType & 0x7F != 0 }
    @inlinable public var needsChecksum: Bool { flags & OffloadInfo.needsChecksum != 0 }
    @inlinable public var isPlain: Bool { gsoType & 0x7F == 0 && flags & OffloadInfo.needsChecksum == 0 }

    /// Size of the wire form used on every port that speaks it (no MRG_RXBUF).
    public static let wireSize = 10

    /// Reads the little-endian wire form (virtio 1.0 on x86 Linux is little-endian).
    @inlinable @inline(__always)
    public init(loadingFrom p: UnsafeRawPointer) {
        flags = p.load(as: UInt8.self)
        gsoType = p.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        gsoSize = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        csumStart = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        csumOffset = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: flags, as: UInt8.self)
        p.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: csumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: csumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
    }
}

/// Per-frame metadata, one record per pool frame (VPP's `vlib_buffer_t` opaque area).
/// Writers: the receiving port sets `dataOffset`, `length`, `inPort`, `offload`;
/// the parse stage sets `etherType`, `l3Offset`, `vlan`, the MACs; the classify stage sets `network`.
public struct FrameMeta: Sendable {
    public var dataOffset: UInt32 = 0   // first byte of the Ethernet header, from the frame's start
    public var length: UInt32 = 0       // bytes of the Ethernet frame (no FCS, no virtio-net header)
    public var inPort: UInt16 = 0
    public var network: UInt16 = 0
    /// The network the frame arrived in (`network` changes when a router forwards it).
    public var ingressNetwork: UInt16 = 0
    public var vlan: UInt16 = 0         // outer VID seen on ingress (0: untagged or priority-tagged)
    public var etherType: UInt16 = 0    // after any VLAN tags
    public var l3Offset: UInt16 = 0     // from the Ethernet header
    public var flags: UInt16 = 0
    /// Which traced packet this frame belongs to (flood copies keep it); meaningful with `traced`.
    public var traceID: UInt16 = 0
    public var offload = OffloadInfo()
    /// The overlay peer (a remote VTEP's IPv4 address): where a frame from the VXLAN port came from.
    public var remote: UInt32 = 0
    public var source = MACAddress.zero
    public var destination = MACAddress.zero

    @inlinable public init() {}

    /// The frame was selected for a packet trace.
    public static let traced: UInt16 = 1
    /// The frame arrived with an outer VLAN tag in its bytes (the vlan stage pops it).
    public static let tagged: UInt16 = 2
    /// That outer tag is an 802.1ad service tag (QinQ).
    public static let serviceTagged: UInt16 = 4
    /// A router forwarded or made this frame: it may leave through the port it came in on.
    public static let routed: UInt16 = 8
    /// The frame came from the VXLAN port and still starts with its VXLAN header (the decap stage takes it off).
    public static let encapsulated: UInt16 = 16
    /// The frame came through the overlay (decapsulated; `remote` is its VTEP): its network is its VNI's.
    public static let fromOverlay: UInt16 = 32
    /// More than one tag in the frame: after its outer tag is popped, another remains (a priority tag
    /// hiding a VLAN tag, double or deeper stacks). Inside the switch a frame is untagged, so the vlan
    /// stage drops these.
    public static let stackedTags: UInt16 = 64
}
