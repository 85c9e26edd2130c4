import SwivelPacket
import SwivelCore
import SwivelAddress

/// l2: learns source MAC -> ingress port and decides where each frame goes within its network.
/// Decides: route (to a router interface's MAC: the l3 stage takes it), output (known unicast),
/// flood (broadcast, multicast, unknown unicast),
/// drop (link-local, hairpin: destination learned on the ingress port, storm-control: the ingress port
/// flooded more than its limit).
/// Reads meta: inPort, network, source, destination. Table: FDB (owned, single writer).
public struct L2Stage {
    public var fdb: FDB
    /// Per-port limits on flooded frames.
    public let storm = StormControl()
    /// One-entry cache of the last learned source: bursts from one sender skip the table write.
    @usableFromInline var lastLearnedKey: UInt64 = .max
    @usableFromInline var lastLearnedPort: UInt16 = .max
    @usableFromInline var lastLearnedAt: UInt64 = 0
    @usableFromInline var lastLearnedRemote: UInt32 = 0

    public init(fdb: FDB) { self.fdb = fdb }

    @inlinable
    public mutating func process(_ batch: borrowing PacketBatch, pool: FramePool, routing: Routing,
                                 decisions: UnsafeMutablePointer<Decision>, now: UInt64, trace: TraceBuffer,
                                 overlay: OverlayTable = .none, dryRun: Bool = false) {
        for i in 0..<batch.count where decisions[i].action != .drop {
            let m = pool.meta + Int(batch[i])
            let inPort = m.pointee.inPort
            let network = m.pointee.network
            // Through the overlay the source lives behind a VTEP; with learning off, only static entries say where.
            let fromOverlay = m.pointee.flags & FrameMeta.fromOverlay != 0
            if !dryRun && (!fromOverlay || overlay.learn) {
                learn(network: network, source: m.pointee.source, port: inPort, remote: fromOverlay ? m.pointee.remote : 0, now: now)
            }

            let dst = m.pointee.destination
            var lookup = TraceRecord.Lookup.multicast
            if dst.isMulticast {
                decisions[i] = dst.isLinkLocal ? .drop(.linkLocal) : .flood
            } else if routing.hasInterfaces(network: network), let itf = routing.interface(network: network, mac: dst) {
                decisions[i] = Decision(action: .route, port: UInt16(itf))
                lookup = .router
            } else if let entry = fdb.lookupEntry(network: network, mac: dst, now: now) {
                decisions[i] = entry.port == inPort ? .drop(.hairpin) : .output(entry.port, remote: entry.remote)
                lookup = .hit
            } else {
                decisions[i] = .flood
                lookup = .miss
            }
            if decisions[i].action == .flood && !dryRun && !storm.admit(port: inPort, now: now) {
                decisions[i] = .drop(.stormControl)
            }
            if m.pointee.flags & FrameMeta.traced != 0 {
                let d = decisions[i]
                trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.l2,
                                         verdict: d.action == .drop ? .drop : d.action == .flood ? .flood
                                            : d.action == .route ? .continue : .output,
                                         reason: d.reason, lookup: lookup, port: d.port, network: network,
                                         source: m.pointee.source, destination: dst))
            }
        }
    }

    @inlinable @inline(__always)
    mutating func learn(network: UInt16, source: MACAddress, port: UInt16, remote: UInt32, now: UInt64) {
        let key = FDBKey(network: network, mac: source).raw
        // Refresh through the table at most every 100 ms per repeated sender; aging is in seconds.
        if key == lastLearnedKey && port == lastLearnedPort && remote == lastLearnedRemote && now &- lastLearnedAt < 100_000_000 { return }
        fdb.learn(network: network, mac: source, port: port, now: now, remote: remote)
        lastLearnedKey = key; lastLearnedPort = port; lastLearnedRemote = remote; lastLearnedAt = now
    }

    /// Forget the one-entry cache (after a flush or a topology change).
    public mutating func invalidateCache() { lastLearnedKey = .max }
}
