import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore

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
///
/// `vlanTag` (TPID << 16 | TCI, 0: none) is a tag the kernel took off the frame and handed over out of band
/// (ring header or PACKET_AUXDATA). It is put back inline, so every later stage sees tags in one form only,
/// whichever device, offload setting or I/O engine the frame came through.
func admitFrame(_ buffer: UnsafeRawPointer, count: Int, vnet: Bool, truncated: Bool, port: UInt16, mtu: Int,
                pool: FramePool, counters: PortCounters, vlanTag: UInt32 = 0) -> FrameIndex? {
    let headerSize = vnet ? OffloadInfo.wireSize : 0
    guard !truncated, count >= headerSize else {
        counters.countDrop(Int(port), .truncated)
        return nil
    }
    var offload = vnet ? OffloadInfo(loadingFrom: buffer) : OffloadInfo()
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
    let tagSize = vlanTag == 0 ? 0 : 4
    guard let f = pool.allocate(bytes: length + tagSize, forReceive: true) else {
        counters.countDrop(Int(port), .poolExhausted)
        return nil
    }
    let data = pool.data(f)
    if tagSize == 0 {
        data.copyMemory(from: buffer + headerSize, byteCount: length)
    } else {
        data.copyMemory(from: buffer + headerSize, byteCount: 12)
        data.storeBytes(of: vlanTag.bigEndian, toByteOffset: 12, as: UInt32.self)
        (data + 16).copyMemory(from: buffer + headerSize + 12, byteCount: length - 12)
        // The offload offsets count from the Ethernet header, which just grew by the tag.
        if offload.needsChecksum { offload.csumStart &+= 4 }
        if offload.headerLength != 0 { offload.headerLength &+= 4 }
    }
    let m = pool.meta + Int(f)
    m.pointee.length = UInt32(length + tagSize)
    m.pointee.inPort = port
    m.pointee.offload = offload
    counters.countRx(Int(port), bytes: length + tagSize)
    return f
}

/// Sends queued frames through a datagram or packet socket: in chunks of up to `capacity` messages,
/// `prepare(slot, frame)` fills that message (its iovec, an address), then one `sendmmsg` per chunk as far
/// as the kernel takes it. A frame the kernel refuses (device down, queue full, no route) is counted as
/// `tx-error`, reported to `refused` with its errno, and skipped, so one bad frame never holds up the rest.
/// Without a socket (`fd` nil) every frame is counted as `port-down`. All frames go back to the pool.
@inline(__always)
func transmitBatched(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, fd: Int32?, port: UInt16, pool: FramePool,
                     counters: PortCounters, messages: UnsafeMutablePointer<vsw_mmsghdr>, capacity: Int,
                     prepare: (Int, FrameIndex) -> Void, refused: (Int32) -> Void = { _ in }) {
    guard let fd else {
        counters.countDrop(Int(port), .portDown, UInt64(count))
        for i in 0..<count { pool.free(frames[i]) }
        return
    }
    var start = 0
    while start < count {
        let n = min(capacity, count - start)
        var bytes = 0
        for i in 0..<n {
            prepare(i, frames[start + i])
            bytes += Int(pool.meta[Int(frames[start + i])].length)
        }
        var failed = 0
        var sent = 0
        while sent < n {
            let rc = vsw_sendmmsg(fd, messages + sent, UInt32(n - sent), Int32(MSG_DONTWAIT))
            if rc > 0 {
                sent += Int(rc)
            } else {
                refused(errno)
                counters.countDrop(Int(port), .txError)
                bytes -= Int(pool.meta[Int(frames[start + sent])].length)
                failed += 1
                sent += 1
            }
        }
        for i in 0..<n { pool.free(frames[start + i]) }
        counters.countTx(Int(port), packets: n - failed, bytes: bytes)
        start += n
    }
}
