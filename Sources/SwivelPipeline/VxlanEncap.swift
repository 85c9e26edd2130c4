import SwivelPacket
import SwivelCore

/// vxlan-encap, the output stage's last step for frames to the VXLAN port: known unicast goes to the one
/// remote VTEP the FDB names, floods are copied to every remote VTEP of the network (head-end
/// replication; a frame that came from the overlay is never sent back into it, as it is never sent back
/// out of its ingress port). Offloads are finished first (the underlay takes plain frames), then the outer
/// IPv4, UDP and VXLAN headers go into the frame's headroom: the inner frame is never copied.
/// Drops: overlay-mtu-exceeded (inner IP packet over the underlay MTU - 50: switched frames cannot be
/// fragmented, routed ones were refused earlier by the l3 stage with ICMP fragmentation needed),
/// overlay-no-headroom, and the offload and queue drops of any port.
extension OutputStage {
    @inlinable
    mutating func toOverlay(_ f: FrameIndex, port: Int, remote: UInt32, pool: FramePool, overlay: OverlayTable,
                            states: PortStates, queues: TxQueues, counters: PortCounters) {
        let network = pool.meta[Int(f)].network
        let vni = overlay.vni(network: network)
        if remote != 0 && vni != 0 {
            encapsulate(f, port: port, remote: remote, vni: vni, pool: pool, overlay: overlay, states: states, queues: queues, counters: counters)
            return
        }
        let remotes = overlay.remotes(network: network)
        guard vni != 0, let last = remotes.last else {
            pool.free(f)   // no remote VTEP to flood to: nothing to send, nothing lost
            return
        }
        for k in 0..<remotes.count - 1 {
            if let copy = pool.clone(f) {
                encapsulate(copy, port: port, remote: remotes[k], vni: vni, pool: pool, overlay: overlay, states: states, queues: queues,
                            counters: counters)
            } else {
                counters.countDrop(port, .poolExhausted)
            }
        }
        encapsulate(f, port: port, remote: last, vni: vni, pool: pool, overlay: overlay, states: states, queues: queues, counters: counters)
    }

    @inlinable
    mutating func encapsulate(_ f: FrameIndex, port: Int, remote: UInt32, vni: UInt32, pool: FramePool, overlay: OverlayTable,
                              states: PortStates, queues: TxQueues, counters: PortCounters) {
        let m = pool.meta + Int(f)
        if !dryRun && m.pointee.offload.isGSO {
            // Each segment becomes its own VXLAN packet.
            segment(f, for: port, pool: pool, counters: counters)
            for j in 0..<segments.count {
                seal(segments[j], port: port, remote: remote, vni: vni, pool: pool, overlay: overlay, states: states, queues: queues,
                     counters: counters)
            }
            segments.removeAll()
            return
        }
        if !dryRun && m.pointee.offload.needsChecksum {
            if Offload.completeChecksum(pool.data(f), length: Int(m.pointee.length), offload: &m.pointee.offload) != nil {
                counters.countDrop(port, .badOffload)
                pool.free(f)
                return
            }
            counters.count(port, .checksumsCompleted)
        }
        seal(f, port: port, remote: remote, vni: vni, pool: pool, overlay: overlay, states: states, queues: queues, counters: counters)
    }

    /// Checks the size, writes the outer headers in front of the frame and queues it.
    @inlinable @inline(__always)
    mutating func seal(_ f: FrameIndex, port: Int, remote: UInt32, vni: UInt32, pool: FramePool, overlay: OverlayTable,
                       states: PortStates, queues: TxQueues, counters: PortCounters) {
        let m = pool.meta + Int(f)
        let length = Int(m.pointee.length)
        var reason: DropReason? = nil
        if length - Ethernet.headerLength > states.mtu[port] {
            reason = .overlayMTUExceeded
        } else if Int(m.pointee.dataOffset) < Vxlan.outerLength {
            reason = .overlayNoHeadroom
        }
        if m.pointee.flags & FrameMeta.traced != 0 {
            var r = TraceRecord(packet: m.pointee.traceID, stage: StageID.vxlanEncap, verdict: reason == nil ? .output : .drop,
                                reason: reason?.rawValue ?? 0, port: UInt16(port), network: m.pointee.network,
                                count: UInt32(length + (reason == nil ? Vxlan.outerLength : 0)))
            r.remote = remote
            r.vni = vni
            trace.append(r)
        }
        if let reason {
            if !dryRun { counters.countDrop(port, reason) }
            pool.free(f)
            return
        }
        if dryRun {
            pool.free(f)
            return
        }
        let inner = pool.data(f)
        Vxlan.writeOuter(before: inner, innerLength: length, source: overlay.localAddress, destination: remote,
                         sourcePort: Vxlan.sourcePort(inner: inner, length: length), destinationPort: overlay.udpPort,
                         vni: vni, ttl: overlay.ttl, dontFragment: overlay.dontFragment)
        m.pointee.dataOffset -= UInt32(Vxlan.outerLength)
        m.pointee.length += UInt32(Vxlan.outerLength)
        m.pointee.remote = remote
        m.pointee.offload = OffloadInfo()
        if !queues.enqueue(port, f) {
            counters.countDrop(port, .txQueueFull)
            pool.free(f)
        }
    }
}
