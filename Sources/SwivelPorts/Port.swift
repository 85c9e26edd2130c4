import SwivelPacket
import SwivelPipeline

/// A port moves frames between a device (or a file, or memory) and the pool. The datapath calls it
/// once per batch, never per packet, so a protocol (one dynamic call per batch) costs nothing measurable.
public protocol Port: AnyObject {
    var id: UInt16 { get }
    var name: String { get }
    var kind: String { get }
    var device: String { get }
    /// "up", "down (no device)", "down (link down)", "down (error: …)".
    var state: String { get }
    var isUp: Bool { get }
    /// The port takes frames with a virtio-net header (partial checksums, GSO) as they are.
    var acceptsOffload: Bool { get }
    var mtu: Int { get }
    /// Frames are waiting to be received without blocking.
    var hasReceivable: Bool { get }
    /// Arms the port's readiness or reads in the ring.
    func start(ring: Ring)
    /// Moves up to `batch.remaining` frames into the batch.
    func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?)
    /// Sends (or hands to the ring) every queued frame; each frame is freed now or on its completion.
    func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool, counters: PortCounters,
                  ring: Ring?)
    /// A completion addressed to this port.
    func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters)
    /// Once a second: rebind a lost device, refresh link state.
    func maintain(ring: Ring)
    /// Releases the device. Frames held by the port go back to the pool.
    func stop(ring: Ring?, pool: FramePool)
    /// Requests still in the ring that hold the device open (TAP reads and writes); shutdown waits for
    /// them so a TAP is really gone when swiveld exits.
    var requestsInFlight: Int { get }
}

extension Port {
    public var requestsInFlight: Int { 0 }
}

/// Receive-side checks shared by every kernel port: turns a received buffer (virtio-net header first
/// when `vnet` is set) into a pool frame or a counted drop.
@inlinable @inline(__always)
func admitFrame(_ buffer: UnsafeRawPointer, count: Int, vnet: Bool, truncated: Bool, port: UInt16, mtu: Int,
                pool: FramePool, counters: PortCounters) -> FrameIndex? {
    let headerSize = vnet ? OffloadInfo.wireSize : 0
    guard !truncated, count >= headerSize else {
        counters.countDrop(Int(port), .truncated)
        return nil
    }
    let offload = vnet ? OffloadInfo(loadingFrom: buffer) : OffloadInfo()
    let length = count - headerSize
    guard length >= Ethernet.minimumFrame else {
        counters.countDrop(Int(port), .runt)
        return nil
    }
    // MTU + Ethernet header + two VLAN tags; GSO super-frames are legitimately larger.
    if length > mtu + 22 && !offload.isGSO {
        counters.countDrop(Int(port), .oversize)
        return nil
    }
    if offload.needsChecksum && Int(offload.csumStart) + Int(offload.csumOffset) + 2 > length {
        counters.countDrop(Int(port), .badOffload)
        return nil
    }
    guard let f = pool.allocate(bytes: length, forReceive: true) else {
        counters.countDrop(Int(port), .poolExhausted)
        return nil
    }
    pool.data(f).copyMemory(from: buffer + headerSize, byteCount: length)
    let m = pool.meta + Int(f)
    m.pointee.length = UInt32(length)
    m.pointee.inPort = port
    m.pointee.offload = offload
    counters.countRx(Int(port), bytes: length)
    return f
}
