import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore

/// A TAP device whose file descriptor Swivel owns (a container's or a test's interface; the netdev may be
/// moved into another namespace). TAP has no batched read or write call, so io_uring is the batching tool:
/// `readsInFlight` reads stay posted, and writes are submitted as one batch of SQEs per iteration.
/// With IFF_VNET_HDR and TUNSETOFFLOAD the kernel hands over TCP super-frames and partial checksums.
public final class TapPort: Port {
    public let id: UInt16
    public let name: String
    public let device: String
    let deviceName: InterfaceName
    public let persistent: Bool
    public var kind: String { "tap" }
    public private(set) var state = "down (not open)"
    public var isUp: Bool { fd >= 0 }
    /// Frames keep their virtio-net header (partial checksums, GSO) on the way out, unless the port's
    /// `offloads` setting is `off`: then the switch completes checksums and segments first.
    public var acceptsOffload: Bool = true
    public private(set) var mtu = 1500
    public var hasReceivable: Bool { pendingCount > 0 }

    var fd: Int32 = -1
    var created = false
    let readsInFlight: Int
    static let slotSize = OffloadInfo.wireSize + 65536 + 64
    let slots: UnsafeMutableRawPointer
    /// Frames read and admitted, waiting for the next receive(): a ring of 2 × `readsInFlight` entries.
    let pending: UnsafeMutablePointer<FrameIndex>
    var pendingCapacity: Int { readsInFlight * 2 }
    /// Read buffers with no read posted: reads complete out of order, so slots are recycled by identity.
    let idleSlots: UnsafeMutablePointer<Int>
    var idleCount = 0
    var pendingHead = 0
    var pendingCount = 0
    var outstandingReads = 0
    var outstandingWrites = 0
    let maxWritesInFlight: Int

    public init(id: UInt16, name: String, device: String, persistent: Bool, readsInFlight: Int = 32,
                maxWritesInFlight: Int = 512) {
        self.id = id; self.name = name; self.device = device; deviceName = InterfaceName(device); self.persistent = persistent
        self.readsInFlight = readsInFlight
        self.maxWritesInFlight = maxWritesInFlight
        slots = .allocate(byteCount: readsInFlight * Self.slotSize, alignment: 64)
        pending = .allocate(capacity: readsInFlight * 2)
        idleSlots = .allocate(capacity: readsInFlight)
        for i in 0..<readsInFlight { idleSlots[i] = i }
        idleCount = readsInFlight
    }

    deinit { slots.deallocate(); pending.deallocate(); idleSlots.deallocate() }

    /// Creates the TAP, or attaches to an existing one that nobody holds.
    public func open() throws(PortError) {
        let existed = LinkInfo.index(of: deviceName) != nil
        let rc = vsw_tap_open(device, 1)
        guard rc >= 0 else {
            let reason = rc == -EBUSY ? "TAP is held by another process" : errnoText(-rc)
            throw PortError(port: device, reason: "cannot open TAP: \(reason)")
        }
        fd = rc
        created = !existed
        // Tell the kernel we take checksum and TSO offloads, so it hands us super-frames unsegmented.
        let offloads = UInt32(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
        _ = ioctl(fd, UInt(VSW_TUNSETOFFLOAD), CInt(bitPattern: offloads))
        // The header size belongs to the device, not the descriptor: a persistent TAP a VM used before may
        // still say 12 (mergeable buffers). Frames are read with the 10-byte header; say so.
        var headerSize = CInt(OffloadInfo.wireSize)
        guard ioctl(fd, UInt(VSW_TUNSETVNETHDRSZ), &headerSize) == 0 else {
            let reason = errnoText(errno)
            Glibc.close(fd)
            fd = -1
            throw PortError(port: device, reason: "cannot set the TAP's virtio-net header size: \(reason)")
        }
        // A TAP we created for a command-line port vanishes with its descriptor; a configured one persists.
        // An existing TAP someone else made keeps its own persistence unless we are told to keep it.
        if created || persistent { _ = ioctl(fd, UInt(VSW_TUNSETPERSIST), CInt(persistent ? 1 : 0)) }
        _ = LinkInfo.setUp(deviceName)
        mtu = LinkInfo.mtu(of: deviceName) ?? 1500
        state = "up"
    }

    /// Posts a read into every idle buffer, as long as admitted frames have room to wait.
    public func start(ring: Ring) {
        guard fd >= 0 else { return }
        while idleCount > 0 && pendingCount + outstandingReads < pendingCapacity {
            idleCount -= 1
            postRead(ring: ring, slot: idleSlots[idleCount])
        }
    }

    func postRead(ring: Ring, slot: Int) {
        ring.read(fd: fd, into: slots + slot * Self.slotSize, count: Self.slotSize,
                  userData: Completion.encode(.read, port: id, slot: UInt32(slot)))
        outstandingReads += 1
    }

    public func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?) {
        while pendingCount > 0 && !batch.isFull {
            batch.append(pending[pendingHead])
            pendingHead = (pendingHead + 1) % pendingCapacity
            pendingCount -= 1
        }
        if idleCount > 0, let ring { start(ring: ring) }
    }

    /// Queues one write SQE per frame; frames are freed when their completions arrive.
    public func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool,
                         counters: PortCounters, ring: Ring?) {
        for i in 0..<count {
            let f = frames[i]
            guard fd >= 0, outstandingWrites < maxWritesInFlight, let ring else {
                counters.countDrop(Int(id), fd >= 0 ? .txQueueFull : .portDown)
                pool.free(f)
                continue
            }
            let m = pool.meta[Int(f)]
            let header = pool.data(f) - OffloadInfo.wireSize
            m.offload.store(to: header)
            ring.write(fd: fd, from: header, count: Int(m.length) + OffloadInfo.wireSize,
                       userData: Completion.encode(.write, port: id, slot: f))
            outstandingWrites += 1
        }
    }

    public func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters) {
        if c.tag == Completion.Tag.write.rawValue {
            outstandingWrites -= 1
            let f = FrameIndex(c.slot)
            if c.result > 0 {
                counters.countTx(Int(id), packets: 1, bytes: Int(pool.meta[Int(f)].length))
            } else {
                // EIO: the TAP's interface is down (e.g. not yet up in the namespace it was moved to).
                counters.countDrop(Int(id), c.result == -EIO ? .portDown : .txError)
            }
            pool.free(f)
            return
        }
        guard c.tag == Completion.Tag.read.rawValue else { return }
        outstandingReads -= 1
        let slot = Int(c.slot)
        idleSlots[idleCount] = slot
        idleCount += 1
        guard fd >= 0 else { return }
        if c.result < 0 {
            if c.result == -EAGAIN || c.result == -EINTR { start(ring: ring); return }
            // EBADFD/EIO: the device went away under us. Stop reading; maintain() reopens.
            state = "down (error: \(errnoText(-c.result)))"
            return
        }
        // Completion order is the frame order (the kernel may fill reads out of submission order).
        // A TAP read cuts a frame longer than the buffer without saying so: a read that filled the whole
        // buffer (longer than any header plus 64 KiB frame) is taken as cut and dropped as `truncated`.
        if let f = admitFrame(UnsafeRawPointer(slots + slot * Self.slotSize), count: Int(c.result), vnet: true,
                              truncated: Int(c.result) >= Self.slotSize, port: id, mtu: mtu, pool: pool, counters: counters) {
            let tail = (pendingHead + pendingCount) % pendingCapacity
            pending[tail] = f
            pendingCount += 1
        }
        start(ring: ring)
    }

    public func maintain(ring: Ring) {
        if fd < 0, (try? open()) != nil { start(ring: ring) }
        // Receive made room since the last completion: repost reads that were held back.
        start(ring: ring)
    }

    public func stop(ring: Ring?, pool: FramePool) {
        while pendingCount > 0 {
            pool.free(pending[pendingHead])
            pendingHead = (pendingHead + 1) % pendingCapacity
            pendingCount -= 1
        }
        if fd >= 0 {
            // In-flight reads hold the file open: cancel them; the caller drains their completions, and
            // the TAP (if not persistent) vanishes when the last reference goes.
            ring?.cancelAll(fd: fd)
            Glibc.close(fd)
            fd = -1
        }
        state = "down (stopped)"
    }

    public var requestsInFlight: Int { outstandingReads + outstandingWrites }
}
