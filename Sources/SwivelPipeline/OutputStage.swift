import SwivelPacket
import SwivelCore

/// output: carries out each decision. Unicast goes to the egress port's queue, floods are copied to every
/// other up port of the network (the last one takes the original), drops are counted and freed. Frames leave
/// a trunk port tagged with their network's VLAN ID (untagged for the native network).
/// Frames with offload metadata bound for a port that cannot take it get their checksum completed or are
/// segmented in software. Frames for the VXLAN port are encapsulated (VxlanEncap.swift). Counts drops: port-down and tx-queue-full on the egress port, pipeline drops on
/// the ingress port, pool-exhausted where a copy or segment could not be made.
public struct OutputStage {
    /// Scratch room for the segments of one GSO super-frame (64 KiB / small MSS).
    @usableFromInline var segments: PacketBatch
    /// Where traced frames' outcomes go (the pipeline's one trace buffer).
    @usableFromInline let trace: TraceBuffer
    /// Frames are only explained, never queued or counted (`Pipeline.explain`).
    @usableFromInline var dryRun = false

    public init(trace: TraceBuffer) {
        segments = PacketBatch(capacity: 256)
        self.trace = trace
    }
    public func deallocate() { segments.deallocate() }

    @inlinable
    public mutating func process(_ batch: inout PacketBatch, pool: FramePool, topology: Topology, states: PortStates,
                                 queues: TxQueues, counters: PortCounters, decisions: UnsafeMutablePointer<Decision>,
                                 security: inout SecurityGroups, conntrack: inout ConnTracker, dryRun: Bool = false) {
        self.dryRun = dryRun
        for i in 0..<batch.count {
            let f = batch[i]
            let d = decisions[i]
            switch d.action {
            case .drop:
                if pool.meta[Int(f)].flags & FrameMeta.traced != 0 {
                    trace.append(TraceRecord(packet: pool.meta[Int(f)].traceID, stage: StageID.output, verdict: .drop, reason: d.reason,
                                             port: pool.meta[Int(f)].inPort))
                }
                if !dryRun { counters.countDrop(Int(pool.meta[Int(f)].inPort), DropReason(rawValue: d.reason)!) }
                pool.free(f)
            case .consumed:
                continue   // a stage owns the frame now (or freed it)
            case .route:
                // Only a dry run can leave a routed frame here (the l3 stage decides every one it sees).
                pool.free(f)
            case .output:
                deliver(f, to: Int(d.port), remote: d.remote, pool: pool, topology: topology, states: states, queues: queues, counters: counters, security: &security, conntrack: &conntrack)
            case .flood:
                let m = pool.meta[Int(f)]
                let members = topology.members(of: m.network)
                var last = -1
                let exclude = m.flags & FrameMeta.routed != 0 ? -1 : Int(m.inPort)
                for p in members where Int(p) != exclude && states.isUp[Int(p)] {
                    if last >= 0 {
                        if let copy = pool.clone(f) {
                            deliver(copy, to: last, remote: 0, pool: pool, topology: topology, states: states, queues: queues, counters: counters, security: &security, conntrack: &conntrack)
                        } else {
                            counters.countDrop(last, .poolExhausted)
                        }
                    }
                    last = Int(p)
                }
                if last >= 0 {
                    deliver(f, to: last, remote: 0, pool: pool, topology: topology, states: states, queues: queues, counters: counters, security: &security, conntrack: &conntrack)
                } else {
                    if m.flags & FrameMeta.traced != 0 {
                        trace.append(TraceRecord(packet: m.traceID, stage: StageID.output, verdict: .flood, port: m.inPort, count: 0))
                    }
                    pool.free(f)   // nobody else in the network: nothing to send, nothing lost
                }
            }
        }
        batch.removeAll()
    }

    @inlinable @inline(__always)
    mutating func deliver(_ f: FrameIndex, to port: Int, remote: UInt32, pool: FramePool, topology: Topology, states: PortStates,
                          queues: TxQueues, counters: PortCounters, security: inout SecurityGroups,
                          conntrack: inout ConnTracker) {
        let m = pool.meta + Int(f)
        let traced = m.pointee.flags & FrameMeta.traced != 0
        guard states.isUp[port] else {
            if traced { trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.output, verdict: .drop, reason: DropReason.portDown.rawValue, port: UInt16(port))) }
            if !dryRun { counters.countDrop(port, .portDown) }
            pool.free(f)
            return
        }
        // The destination port's security groups (its ingress rules), per copy of a flood as well.
        if let denied = security.admit(f, to: port, pool: pool, conntrack: &conntrack, now: counters.now, dryRun: dryRun) {
            if !dryRun { counters.countDrop(port, denied) }
            pool.free(f)
            return
        }
        if port == topology.overlayPort {
            toOverlay(f, port: port, remote: remote, pool: pool, overlay: topology.overlay, states: states, queues: queues, counters: counters)
            return
        }
        let vid = topology.egressTag(port: port, network: m.pointee.network)
        if traced { trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.output, verdict: .output, port: UInt16(port), vlan: vid, count: m.pointee.length)) }
        if dryRun {
            pool.free(f)
            return
        }
        // Tag before any segmentation or checksum completion: both read the headers as they will be sent.
        if vid != 0 && !VlanStage.pushTag(vid, m, data: pool.buffer(f)) {
            counters.countDrop(port, .badOffload)   // no headroom: only a frame built without it can get here
            pool.free(f)
            return
        }
        if !m.pointee.offload.isPlain {
            if states.acceptsOffload[port] {
                counters.count(port, .passedThrough)
            } else if m.pointee.offload.isGSO {
                segmentAndEnqueue(f, to: port, pool: pool, queues: queues, counters: counters)
                return
            } else if Offload.completeChecksum(pool.data(f), length: Int(m.pointee.length), offload: &m.pointee.offload) != nil {
                counters.countDrop(port, .badOffload)
                pool.free(f)
                return
            } else {
                counters.count(port, .checksumsCompleted)
            }
        }
        if !queues.enqueue(port, f) {
            counters.countDrop(port, .txQueueFull)
            pool.free(f)
        }
    }

    @usableFromInline
    mutating func segmentAndEnqueue(_ f: FrameIndex, to port: Int, pool: FramePool, queues: TxQueues,
                                    counters: PortCounters) {
        segment(f, for: port, pool: pool, counters: counters)
        for j in 0..<segments.count where !queues.enqueue(port, segments[j]) {
            counters.countDrop(port, .txQueueFull)
            pool.free(segments[j])
        }
        segments.removeAll()
    }

    /// Cuts a GSO super-frame for `port` into `segments` (counted on the port) and frees the super-frame;
    /// the caller owns the segments.
    @usableFromInline
    mutating func segment(_ f: FrameIndex, for port: Int, pool: FramePool, counters: PortCounters) {
        segments.removeAll()
        if let failure = Offload.segmentTCP(f, pool: pool, into: &segments) {
            counters.countDrop(port, failure == .poolExhausted ? .poolExhausted
                               : failure == .unsupportedGSO ? .unsupportedGSO : .badOffload)
        }
        if segments.count > 0 {
            counters.count(port, .segmented)
            counters.count(port, .segments, UInt64(segments.count))
        }
        pool.free(f)
    }
}
