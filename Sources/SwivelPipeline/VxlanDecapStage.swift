import SwivelPacket

/// vxlan-decap: takes the VXLAN header off frames from the VXLAN port and puts each in the network of
/// its VNI, remembering the VTEP it came from (the l2 stage learns the source MAC behind it).
/// Decides: drop (vxlan-malformed: shorter than a VXLAN and an Ethernet header; vxlan-bad-flags: no I
/// flag, or unknown flags; vxlan-unknown-vni; vxlan-unknown-vtep: learning off and the sender is not one
/// of the network's remote VTEPs). Other frames pass untouched (one flag test each).
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
                    if overlay.learn || overlay.isConfigured(remote: m.pointee.remote, network: n) {
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
            if network != Topology.noNetwork { ParseStage.parse(f, at: i, pool: pool, decisions: decisions, trace: trace) }
        }
    }
}
