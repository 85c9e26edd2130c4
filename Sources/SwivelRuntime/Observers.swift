import Glibc
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore

/// A live trace: marks the next `remaining` frames received on `port` that match `filter`, and collects
/// the records every stage writes for them.
final class TraceSession {
    let id: Int
    let port: UInt16
    var remaining: Int
    let filter: PacketFilter?
    var nextPacket: UInt16 = 1
    var packets: [UInt16: TracedPacket] = [:]
    var order: [UInt16] = []
    init(id: Int, port: UInt16, count: Int, filter: PacketFilter?) {
        self.id = id; self.port = port; remaining = count; self.filter = filter
    }
}

struct TracedPacket {
    var inPort: UInt16
    var bytes: [UInt8]
    var records: [TraceRecord] = []
}

/// A capture: copies frames of `port` (received, transmitted or both) that match `filter` into a pcap
/// byte stream the control plane drains, and/or clones them to a mirror port.
final class CaptureSession {
    enum Direction: String, Sendable { case rx, tx, both }
    let id: Int
    let port: UInt16
    let direction: Direction
    let filter: PacketFilter?
    let mirrorPort: UInt16?
    let writesFile: Bool
    var remaining: Int
    var pcap: [UInt8] = []
    var captured = 0
    var overflowed = 0
    /// Bytes buffered between two drains by the control plane; beyond it frames are counted, not kept.
    static let bufferLimit = 8 << 20

    init(id: Int, port: UInt16, direction: Direction, filter: PacketFilter?, mirrorPort: UInt16?, writesFile: Bool, count: Int) {
        self.id = id; self.port = port; self.direction = direction; self.filter = filter
        self.mirrorPort = mirrorPort; self.writesFile = writesFile; remaining = count
    }

    var isDone: Bool { remaining <= 0 }

    func wants(_ rx: Bool) -> Bool { direction == .both || (direction == .rx) == rx }

    /// The pcap file header. Written by hand because the stream goes out over HTTP as it is produced,
    /// while libpcap's writer only writes to a FILE*; the format is the classic one every reader takes.
    static func fileHeader() -> [UInt8] {
        var h: [UInt8] = []
        func le32(_ v: UInt32) { h += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        func le16(_ v: UInt16) { h += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(262_144); le32(1)   // LINKTYPE_ETHERNET
        return h
    }

    func append(_ frame: UnsafeRawPointer, length: Int) {
        guard pcap.count + length + 16 <= Self.bufferLimit else { overflowed += 1; return }
        var ts = timeval()
        gettimeofday(&ts, nil)
        for v in [UInt32(ts.tv_sec), UInt32(ts.tv_usec), UInt32(length), UInt32(length)] {
            pcap += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        pcap.append(contentsOf: UnsafeRawBufferPointer(start: frame, count: length))
        captured += 1
    }
}

extension Datapath {
    /// Marks traced frames of a batch just received on `port`. Called only while a trace is active.
    func markTraced(_ batch: inout PacketBatch, port: UInt16) {
        guard let t = traceSession, t.port == port, t.remaining > 0 else { return }
        for i in 0..<batch.count where t.remaining > 0 {
            let f = batch[i]
            let m = pool.meta + Int(f)
            let skip = innerFrameOffset(f, port: port, received: true)
            let data = pool.data(f) + skip, length = Int(m.pointee.length) - skip
            if let filter = t.filter, !filter.matches(data, length: length) { continue }
            m.pointee.flags |= FrameMeta.traced
            m.pointee.traceID = t.nextPacket
            t.packets[t.nextPacket] = TracedPacket(inPort: port, bytes: Array(UnsafeRawBufferPointer(start: data, count: min(128, length))))
            t.order.append(t.nextPacket)
            t.nextPacket &+= 1
            t.remaining -= 1
        }
    }

    /// Moves the stages' trace records into the live trace they belong to.
    func harvestTrace() {
        let records = pipeline.trace.take()
        guard let t = traceSession else { return }
        for r in records { t.packets[r.packet]?.records.append(r) }
    }

    /// Hands frames of `port` to the captures watching it (received frames before the pipeline,
    /// transmitted ones before they are sent). Called only while a capture is active.
    func observe(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, port: UInt16, received: Bool) {
        for c in captures where c.port == port && c.wants(received) && !c.isDone {
            for i in 0..<count where !c.isDone {
                let f = frames[i]
                let skip = innerFrameOffset(f, port: port, received: received)
                let data = pool.data(f) + skip, length = Int(pool.meta[Int(f)].length) - skip
                if let filter = c.filter, !filter.matches(data, length: length) { continue }
                if c.writesFile { c.append(data, length: length) }
                if let mirror = c.mirrorPort, pipeline.states.isUp[Int(mirror)], let copy = pool.clone(f) {
                    pool.meta[Int(copy)].flags = 0
                    pool.meta[Int(copy)].dataOffset += UInt32(skip)
                    pool.meta[Int(copy)].length -= UInt32(skip)
                    if !pipeline.queues.enqueue(Int(mirror), copy) {
                        pipeline.counters.countDrop(Int(mirror), .txQueueFull)
                        pool.free(copy)
                    }
                }
                c.remaining -= 1
            }
        }
    }

    /// Captures and traces on the VXLAN port show the inner Ethernet frame: received frames still start
    /// with their VXLAN header, sent ones with the outer IPv4, UDP and VXLAN headers.
    func innerFrameOffset(_ f: FrameIndex, port: UInt16, received: Bool) -> Int {
        guard Int(port) == pipeline.topology.overlayPort else { return 0 }
        let skip = received ? Vxlan.headerLength : Vxlan.outerLength
        return Int(pool.meta[Int(f)].length) >= skip + Ethernet.headerLength ? skip : 0
    }
}
