import SwivelPacket

/// flow-record: notes each packet's decision in the flow table (hit counts, bytes, age).
/// Decides nothing. Reads meta: inPort, network, source, destination, length.
public enum FlowRecordStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, flows: inout FlowTable,
                               decisions: UnsafeMutablePointer<Decision>, now: UInt64) {
        for i in 0..<batch.count {
            let m = pool.meta[Int(batch[i])]
            // Frames that failed to parse have no flow; their drop is counted on the port.
            let d = decisions[i]
            if d.action == .drop && (d.reason == DropReason.runt.rawValue || d.reason == DropReason.truncatedTag.rawValue) {
                continue
            }
            flows.record(FlowKey(inPort: m.inPort, network: m.network, source: m.source, destination: m.destination),
                         decision: decisions[i], bytes: Int(m.length), now: now)
        }
    }
}
