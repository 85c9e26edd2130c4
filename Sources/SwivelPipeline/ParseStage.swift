import SwivelPacket
import SwivelAddress
import SwivelCore

/// parse: validates the Ethernet layer and fills the frame's L2 metadata.
/// Decides: drop (runt, truncated-vlan-tag, invalid-source-mac); otherwise leaves the slot undecided.
/// Writes meta: source, destination, vlan, etherType, l3Offset, the tag flags.
/// Frames still in their VXLAN header are left undecided for the vxlan-decap stage, which parses the inner
/// frame with `parse(_:at:…)` once the header is off.
public enum ParseStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool,
                               decisions: UnsafeMutablePointer<Decision>, trace: TraceBuffer) {
        for i in 0..<batch.count {
            let f = batch[i]
            if pool.meta[Int(f)].flags & FrameMeta.encapsulated != 0 {
                decisions[i] = .undecided
                continue
            }
            parse(f, at: i, pool: pool, decisions: decisions, trace: trace)
        }
    }

    @inlinable @inline(__always)
    public static func parse(_ f: FrameIndex, at i: Int, pool: FramePool, decisions: UnsafeMutablePointer<Decision>, trace: TraceBuffer) {
            let m = pool.meta + Int(f)
            switch Ethernet.parse(pool.data(f), length: Int(m.pointee.length)) {
            case .failure(let e):
                decisions[i] = .drop(e == .runt ? .runt : .truncatedTag)
            case .success(let eth):
                m.pointee.source = eth.source
                m.pointee.destination = eth.destination
                m.pointee.vlan = eth.vlan
                m.pointee.etherType = eth.etherType
                m.pointee.l3Offset = eth.l3Offset
                var tagFlags: UInt16 = eth.tagCount == 0 ? 0
                    : eth.outerTagType == EtherType.vlan ? FrameMeta.tagged : FrameMeta.tagged | FrameMeta.serviceTagged
                if eth.tagCount > 1 { tagFlags |= FrameMeta.stackedTags }
                m.pointee.flags = (m.pointee.flags & ~(FrameMeta.tagged | FrameMeta.serviceTagged | FrameMeta.stackedTags)) | tagFlags
                // A group or all-zero source can never be a destination: learning it would poison the FDB.
                if eth.source.isMulticast || eth.source == .zero {
                    decisions[i] = .drop(.invalidSource)
                } else if m.pointee.offload.needsChecksum
                            && !Offload.checksumIsInTransportHeader(pool.data(f), length: Int(m.pointee.length), l3Offset: Int(eth.l3Offset),
                                                                     etherType: eth.etherType, offload: m.pointee.offload) {
                    // The switch finishes partial checksums where the header says: pointed at the MACs or the
                    // IP addresses, it would rewrite them after port security checked them (found by FuzzPipeline).
                    decisions[i] = .drop(.badOffload)
                } else {
                    decisions[i] = .undecided
                }
            }
            if m.pointee.flags & FrameMeta.traced != 0 {
                let d = decisions[i]
                trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.parse, verdict: d.action == .drop ? .drop : .continue, reason: d.reason,
                                         port: m.pointee.inPort, etherType: m.pointee.etherType, vlan: m.pointee.vlan,
                                         count: m.pointee.length, source: m.pointee.source, destination: m.pointee.destination))
            }
    }
}
