import SwivelPacket
import SwivelCore

/// vxlan-decap: takes the VXLAN header off frames from the VXLAN port and puts each in the network of
/// its VNI, remembering the VTEP it came from (the l2 stage learns the source MAC behind it).
/// Decides: drop (vxlan-malformed: shorter than a VXLAN and an Ethernet header; vxlan-bad-flags: no I
/// flag, or unknown flags; vxlan-unknown-vni; vxlan-unknown-vtep: the sender is not one of
/// the network's remote VTEPs, unless the overlay takes frames from any VTEP: `learn_from_any`). Other frames pass untouched (one flag test each).
/// Runs after parse (which leaves encapsulated frames undecided) and parses the inner frame itself.
/// Reads meta: flags, remote. Writes meta: network, ingressNetwork, dataOffset, length, flags, and what
/// parse writes.
public enum VxlanDecapStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, overlay: OverlayTable,
                               decisions: UnsafeMutablePointer<Decision>, trace: TraceBuffer) {
        for i in 0..<batch.count {
            let f = batch[i]
            let m = pool.meta + Int(f)
            guard m.pointee.flags & FrameMeta.encapsulated != 0 else { continue }
            var vni: UInt32 = 0
            var network = Topology.noNetwork
            switch Vxlan.readVNI(pool.data(f), length: Int(m.pointee.length)) {
            case .failure(.short): decisions[i] = .drop(.vxlanMalformed)
            case .failure(.badFlags): decisions[i] = .drop(.vxlanBadFlags)
            case .success(let v):
                vni = v
                if let n = overlay.network(vni: v) {
                    if overlay.acceptFromAny || overlay.isConfigured(remote: m.pointee.remote, network: n) {
                        network = n
                    } else {
                        decisions[i] = .drop(.vxlanUnknownVTEP)
                    }
                } else {
                    decisions[i] = .drop(.vxlanUnknownVNI)
                }
            }
            if network != Topology.noNetwork {
                m.pointee.dataOffset += UInt32(Vxlan.headerLength)
                m.pointee.length -= UInt32(Vxlan.headerLength)
                m.pointee.network = network
                m.pointee.ingressNetwork = network
                m.pointee.flags = m.pointee.flags & ~FrameMeta.encapsulated | FrameMeta.fromOverlay
            }
            if m.pointee.flags & FrameMeta.traced != 0 {
                let d = decisions[i]
                var r = TraceRecord(packet: m.pointee.traceID, stage: StageID.vxlanDecap, verdict: d.action == .drop ? .drop : .continue,
                                    reason: d.reason, port: m.pointee.inPort, network: network)
                r.remote = m.pointee.remote
                r.vni = vni
                trace.append(r)
            }
            if network != Topology.noNetwork {
                ParseStage.parse(f, at: i, pool: pool, decisions: decisions, trace: trace)
                if decisions[i].action != .drop && m.pointee.etherType == EtherType.ipv4 {
                    if m.pointee.offload.gsoSize != 0 { describeSuperFrame(pool.data(f), m) } else { completePartialChecksum(pool.data(f), m) }
                }
            }
        }
    }

    /// A datagram larger than the underlay carries (the port put the inner MTU in `gsoSize`): a sender on
    /// the same machine handed over a TCP super-frame whole. It leaves as GSO metadata, as a super-frame
    /// from a local port would: segmented to the inner MTU by the output stage, or passed whole to a port
    /// that takes offloads. Its checksum field holds the pseudo-header sum, as GSO expects. Anything else
    /// this large goes on as a plain frame.
    @inlinable @inline(__always)
    static func describeSuperFrame(_ frame: UnsafeMutableRawPointer, _ m: UnsafeMutablePointer<FrameMeta>) {
        let innerMTU = Int(m.pointee.offload.gsoSize)
        m.pointee.offload = OffloadInfo()
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        guard available >= 40 else { return }
        let ip = IPv4Header(unchecked: frame + l3)
        let ihl = ip.headerLength
        guard ihl >= 20, available >= ihl + TCPHeader.minimumLength, ip.proto == IPProtocol.tcp, !ip.isFragment else { return }
        let tcpHeader = TCPHeader(unchecked: ip.base + ihl).dataOffset
        guard tcpHeader >= 20, innerMTU > ihl + tcpHeader, available > ihl + tcpHeader else { return }
        m.pointee.offload = OffloadInfo(flags: OffloadInfo.needsChecksum, gsoType: OffloadInfo.gsoTCPv4,
                                        headerLength: UInt16(l3 + ihl + tcpHeader), gsoSize: UInt16(innerMTU - ihl - tcpHeader),
                                        csumStart: UInt16(l3 + ihl), csumOffset: 16)
    }

    /// A sender whose packet never crossed a wire (a kernel VTEP over veth, a VM over virtio-net) may leave
    /// the inner TCP or UDP checksum partial (only the pseudo-header sum, for a NIC to finish); the UDP
    /// socket hands it over without saying so. Such a field equals the folded pseudo-header sum; then the
    /// checksum is completed here, unless the segment already sums correctly (a complete checksum that
    /// happens to equal that value, 1 in 65 536). Other packets cost a header read and one comparison.
    @inlinable @inline(__always)
    static func completePartialChecksum(_ frame: UnsafeMutableRawPointer, _ m: UnsafeMutablePointer<FrameMeta>) {
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        guard let header = IPv4Header(frame, at: l3, available: available) else { return }
        let ihl = header.headerLength
        let total = header.totalLength
        guard ihl >= 20, total > ihl, total <= available, !header.isFragment else { return }
        let proto = header.proto
        let fieldOffset = proto == IPProtocol.tcp ? TCPHeader.checksumOffset : proto == IPProtocol.udp ? UDPHeader.checksumOffset : -1
        let l4Length = total - ihl
        guard fieldOffset > 0, l4Length >= fieldOffset + 2 else { return }
        let l4 = frame + l3 + ihl
        let field = UInt16(bigEndian: l4.loadUnaligned(fromByteOffset: fieldOffset, as: UInt16.self))
        if proto == IPProtocol.udp && field == 0 { return }   // no UDP checksum at all
        let pseudo = Checksum.pseudoHeaderIPv4(source: header.source, destination: header.destination, proto: proto, length: l4Length)
        guard field == Checksum.fold(pseudo) else { return }
        let sum = Checksum.sum(l4, count: l4Length)
        if Checksum.fold(sum + pseudo) == 0xFFFF { return }
        // The field holds the pseudo-header sum, so the segment's own sum already includes it.
        let c = ~Checksum.fold(sum)
        l4.storeBytes(of: (c == 0 ? 0xFFFF : c).bigEndian, toByteOffset: fieldOffset, as: UInt16.self)
    }
}
