import SwivelPacket
import SwivelCore

/// flow-record: notes each packet's decision in the flow table (hit counts, bytes, age).
/// Decides nothing. Reads meta: inPort, ingressNetwork, source, destination, length.
public enum FlowRecordStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, flows: inout FlowTable,
                               decisions: UnsafeMutablePointer<Decision>, now: UInt64, trace: TraceBuffer) {
        for i in 0..<batch.count {
            let m = pool.meta[Int(batch[i])]
            // Frames that failed to parse have no flow; their drop is counted on the port.
            let d = decisions[i]
            if d.action == .consumed || d.action == .drop && (d.reason == DropReason.runt.rawValue || d.reason == DropReason.truncatedTag.rawValue
                                                              || m.flags & FrameMeta.encapsulated != 0) {
                continue
            }
            // Keyed as the frame arrived: a routed flow is found under its ingress network and MACs.
            let key = FlowKey(inPort: m.inPort, network: m.ingressNetwork, source: m.source, destination: m.destination)
            flows.record(key, decision: decisions[i], bytes: Int(m.length), now: now, remote: m.remote)
            if m.flags & FrameMeta.traced != 0 {
                let packets = flows.table.find(key).map { UInt32(truncatingIfNeeded: flows.table.value(at: $0).pointee.packets) } ?? 0
                trace.append(TraceRecord(packet: m.traceID, stage: StageID.flowRecord, verdict: .continue, port: m.inPort, network: m.network,
                                         count: packets, source: m.source, destination: m.destination))
            }
        }
    }
}
