import SwivelPacket
import SwivelCore

/// vlan: puts each frame in exactly one network and takes its tag off, so that inside the switch a frame
/// is untagged and known by its network alone (tags are pushed again per egress port by the output stage).
/// Decides: drop (vlan-tagged-on-access: a tagged frame on an access port, which would be VLAN hopping;
/// vlan-not-allowed: a VLAN ID the trunk does not carry, or an untagged frame on a trunk without a native
/// network; qinq-unsupported: an outer 802.1ad tag; vlan-stacked-tags: a tag behind the outer one, e.g. a
/// priority tag hiding a VLAN tag, which would reach another network or slip past port security).
/// Frames from the overlay keep the network of their VNI.
/// Reads meta: inPort, vlan, the tag flags. Writes meta: network; dataOffset, length, l3Offset and the
/// offload offsets when a tag is popped.
public enum VlanStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, topology: Topology,
                               decisions: UnsafeMutablePointer<Decision>, trace: TraceBuffer) {
        for i in 0..<batch.count where decisions[i].action != .drop {
            let m = pool.meta + Int(batch[i])
            let port = Int(m.pointee.inPort)
            let flags = m.pointee.flags
            let vid = m.pointee.vlan
            var network = Topology.noNetwork
            var reason = DropReason.vlanNotAllowed
            if flags & FrameMeta.stackedTags != 0 && flags & FrameMeta.serviceTagged == 0 {
                reason = .vlanStackedTags
            } else if flags & FrameMeta.fromOverlay != 0 {
                // The VNI chose the network; a tagged inner frame is treated as on an access port.
                if flags & FrameMeta.tagged == 0 { network = m.pointee.network } else { reason = .vlanTaggedOnAccess }
            } else if flags & FrameMeta.tagged == 0 || (vid == 0 && flags & FrameMeta.serviceTagged == 0) {
                // Untagged, or priority-tagged (VID 0): the port's untagged network.
                network = topology.untaggedNetwork[port]
            } else if flags & FrameMeta.serviceTagged != 0 {
                reason = .qinqUnsupported
            } else if !topology.isTrunk[port] {
                reason = .vlanTaggedOnAccess
            } else {
                network = topology.network(port: port, vid: vid)
            }
            if network == Topology.noNetwork {
                decisions[i] = .drop(reason)
            } else {
                m.pointee.network = network
                m.pointee.ingressNetwork = network
                if flags & FrameMeta.tagged != 0 { popTag(m, data: pool.buffer(batch[i])) }
            }
            if flags & FrameMeta.traced != 0 {
                let d = decisions[i]
                trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.vlan, verdict: d.action == .drop ? .drop : .continue,
                                         reason: d.reason, port: UInt16(port), network: network, vlan: vid,
                                         count: flags & FrameMeta.tagged != 0 ? 1 : 0))
            }
        }
    }

    /// Removes the outer tag: the two MAC addresses move 4 bytes forward over it.
    @inlinable @inline(__always)
    static func popTag(_ m: UnsafeMutablePointer<FrameMeta>, data buffer: UnsafeMutableRawPointer) {
        let start = buffer + Int(m.pointee.dataOffset)
        (start + 4).copyMemory(from: UnsafeRawPointer(start), byteCount: 12)   // memmove: overlapping is fine
        m.pointee.dataOffset += 4
        m.pointee.length -= 4
        m.pointee.l3Offset -= 4
        m.pointee.flags &= ~(FrameMeta.tagged | FrameMeta.serviceTagged)
        if m.pointee.offload.needsChecksum { m.pointee.offload.csumStart &-= 4 }
        if m.pointee.offload.headerLength >= 4 { m.pointee.offload.headerLength &-= 4 }
    }

    /// Inserts a tag after the MAC addresses (into the frame's headroom). False when there is no room.
    @inlinable @inline(__always)
    public static func pushTag(_ vid: UInt16, _ m: UnsafeMutablePointer<FrameMeta>, data buffer: UnsafeMutableRawPointer) -> Bool {
        guard m.pointee.dataOffset >= 4 else { return false }
        let old = buffer + Int(m.pointee.dataOffset)
        let new = old - 4
        new.copyMemory(from: UnsafeRawPointer(old), byteCount: 12)
        new.storeBytes(of: (UInt32(EtherType.vlan) << 16 | UInt32(vid)).bigEndian, toByteOffset: 12, as: UInt32.self)
        m.pointee.dataOffset -= 4
        m.pointee.length += 4
        m.pointee.l3Offset += 4
        if m.pointee.offload.needsChecksum { m.pointee.offload.csumStart &+= 4 }
        if m.pointee.offload.headerLength != 0 { m.pointee.offload.headerLength &+= 4 }
        return true
    }
}
