import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore

/// A port on a kernel network interface (veth, NIC, a VM's TAP opened by QEMU) through an AF_PACKET
/// socket with a virtio-net header, so TCP super-frames and partial checksums pass through intact.
/// The port survives its device going down, away and back: it rebinds by name once a second.
public final class AFPacketPort: Port {
    public let id: UInt16
    public let name: String
    public let device: String
    let deviceName: InterfaceName
    public let engine: IOEngine
    public var kind: String { "afpacket" }
    public private(set) var state = "down (no device)"
    public var isUp: Bool { socket != nil && linkRunning }
    /// Frames keep their virtio-net header (partial checksums, GSO) on the way out, unless the port's
    /// `offloads` setting is `off`: then the switch completes checksums and segments first.
    public var acceptsOffload: Bool = true
    public private(set) var mtu = 1500
    public var hasReceivable: Bool { ready }

    var socket: PacketSocket?
    var linkRunning = false
    var ready = false
    var armed = false
    /// Bumped on every open: completions of a poll armed on an earlier socket are recognised and ignored.
    var generation: UInt32 = 0
    let batchSize: Int
    // mmsg engine: one staging buffer per message, big enough for a 64 KiB super-frame.
    static let stagingSize = OffloadInfo.wireSize + 65536 + 64
    let staging: UnsafeMutableRawPointer
    let rxMessages: UnsafeMutablePointer<vsw_mmsghdr>
    let rxIovecs: UnsafeMutablePointer<iovec>
    let txMessages: UnsafeMutablePointer<vsw_mmsghdr>
    let txIovecs: UnsafeMutablePointer<iovec>
    /// mmsg engine: one PACKET_AUXDATA control buffer per message (the tag the kernel stripped).
    let rxControl: UnsafeMutableRawPointer
    var rxRing: RxRing?
    var rxRingV2: RxRingV2?
    let ringBlockTimeoutMs: UInt32

    public init(id: UInt16, name: String, device: String, engine: IOEngine = .default, batchSize: Int = 64,
                ringBlockTimeoutMs: UInt32 = 1) {
        self.id = id; self.name = name; self.device = device; deviceName = InterfaceName(device); self.engine = engine
        self.batchSize = batchSize
        self.ringBlockTimeoutMs = ringBlockTimeoutMs
        let stagingCount = engine == .mmsg ? batchSize : 0
        staging = .allocate(byteCount: max(1, stagingCount * Self.stagingSize), alignment: 64)
        rxMessages = .allocate(capacity: batchSize)
        rxIovecs = .allocate(capacity: batchSize)
        txMessages = .allocate(capacity: batchSize)
        txIovecs = .allocate(capacity: batchSize)
        rxControl = .allocate(byteCount: batchSize * VSW_AUXDATA_SPACE, alignment: 8)
        for i in 0..<batchSize {
            rxIovecs[i] = iovec(iov_base: stagingCount > 0 ? staging + i * Self.stagingSize : nil, iov_len: Self.stagingSize)
            rxMessages[i] = vsw_mmsghdr()
            rxMessages[i].msg_hdr.msg_iov = rxIovecs + i
            rxMessages[i].msg_hdr.msg_iovlen = 1
            txMessages[i] = vsw_mmsghdr()
            txMessages[i].msg_hdr.msg_iov = txIovecs + i
            txMessages[i].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        staging.deallocate(); rxMessages.deallocate(); rxIovecs.deallocate(); rxControl.deallocate()
        txMessages.deallocate(); txIovecs.deallocate()
    }

    /// Opens the device now. Throws with the reason when it cannot (command-line ports must exist).
    public func open() throws(PortError) {
        _ = LinkInfo.setUp(deviceName)
        var ring: RxRing? = nil
        var ringV2: RxRingV2? = nil
        let timeout = ringBlockTimeoutMs
        let engine = self.engine
        let device = self.device
        let s = try PacketSocket.open(device: deviceName, vnetHeader: true) { fd throws(PortError) in
            switch engine {
            case .ring: ringV2 = try RxRingV2(fd: fd, device: device)
            case .ringV3: ring = try RxRing(fd: fd, device: device, blockTimeoutMs: timeout)
            case .mmsg:
                var one: Int32 = 1
                if setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, 4) != 0 {
                    throw PortError(port: device, reason: "PACKET_AUXDATA: \(errnoText(errno))")
                }
            }
        }
        socket = s
        rxRing = ring
        rxRingV2 = ringV2
        generation &+= 1
        mtu = LinkInfo.mtu(of: deviceName) ?? 1500
        refreshLink()
    }

    func refreshLink() {
        guard socket != nil else { state = "down (no device)"; linkRunning = false; return }
        linkRunning = LinkInfo.isRunning(deviceName) ?? false
        state = linkRunning ? "up" : "down (link down)"
    }

    public func start(ring: Ring) {
        guard let s = socket, !armed else { return }
        ring.pollMultishot(fd: s.fd, userData: Completion.encode(.readiness, port: id, slot: generation))
        armed = true
        ready = true   // frames may have queued before the poll was armed
    }

    public func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?) {
        guard let s = socket else { ready = false; return }
        if let r = rxRingV2 {
            if !r.receive(into: &batch, port: id, mtu: mtu, pool: pool, counters: counters) { ready = false }
            return
        }
        if let r = rxRing {
            if !r.receive(into: &batch, port: id, mtu: mtu, pool: pool, counters: counters) { ready = false }
            return
        }
        let want = min(batch.remaining, batchSize)
        guard want > 0 else { return }
        for i in 0..<want {
            // The kernel shortens msg_controllen to what it wrote; give every message its full room back.
            rxMessages[i].msg_hdr.msg_control = rxControl + i * VSW_AUXDATA_SPACE
            rxMessages[i].msg_hdr.msg_controllen = VSW_AUXDATA_SPACE
        }
        let n = vsw_recvmmsg(s.fd, rxMessages, UInt32(want), Int32(MSG_DONTWAIT))
        if n <= 0 {
            ready = false
            if n < 0 && errno != EAGAIN { _ = s.takeError(); refreshLink() }
            return
        }
        for i in 0..<Int(n) {
            let truncated = rxMessages[i].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0
            if let f = admitFrame(UnsafeRawPointer(rxIovecs[i].iov_base!), count: Int(rxMessages[i].msg_len), vnet: true,
                                  truncated: truncated, port: id, mtu: mtu, pool: pool, counters: counters,
                                  vlanTag: vsw_auxdata_vlan_tag(&rxMessages[i].msg_hdr)) {
                batch.append(f)
            }
        }
        if Int(n) < want { ready = false }
    }

    public func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool, counters: PortCounters,
                         ring: Ring?) {
        transmitBatched(frames, count: count, fd: socket?.fd, port: id, pool: pool, counters: counters, messages: txMessages,
                        capacity: batchSize) { slot, f in
            // The frame's offload state goes out in front of it, as the virtio-net header the socket expects.
            let m = pool.meta[Int(f)]
            let header = pool.data(f) - OffloadInfo.wireSize
            m.offload.store(to: header)
            txIovecs[slot] = iovec(iov_base: header, iov_len: Int(m.length) + OffloadInfo.wireSize)
        }
    }

    public func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters) {
        guard c.tag == Completion.Tag.readiness.rawValue, c.slot == generation, let s = socket else { return }
        if c.result < 0 {
            armed = false   // the poll ended (cancelled on stop, or an error); maintain() re-arms
            return
        }
        let events = Int32(c.result)
        if events & Int32(POLLERR) != 0 {
            let err = s.takeError()
            if err == ENETDOWN { linkRunning = false; state = "down (link down)" }
        }
        if events & Int32(POLLIN) != 0 { ready = true }
        if !c.willContinue {
            armed = false
            start(ring: ring)
        }
    }

    public func maintain(ring: Ring) {
        if let s = socket {
            // The device was deleted (or replaced by a new one with the same name): rebind.
            if LinkInfo.index(of: deviceName) != s.ifindex {
                ring.cancel(userData: Completion.encode(.readiness, port: id, slot: generation))
                closeSocket()
            } else {
                refreshLink()
                if !armed { start(ring: ring) }
                return
            }
        }
        if (try? open()) != nil { start(ring: ring) }
    }

    func closeSocket() {
        socket?.close()
        socket = nil
        rxRing = nil
        rxRingV2 = nil
        ready = false
        armed = false
        linkRunning = false
        state = "down (no device)"
    }

    public func stop(ring: Ring?, pool: FramePool) {
        ring?.cancel(userData: Completion.encode(.readiness, port: id, slot: generation))
        closeSocket()
    }

    /// Frames the kernel dropped before we read them (ring or socket buffer full), since the port was
    /// created. PACKET_STATISTICS resets on every read, so the port keeps the running total.
    public var kernelDrops: UInt64 {
        kernelDropsTotal &+= socket?.kernelDrops() ?? 0
        return kernelDropsTotal
    }
    var kernelDropsTotal: UInt64 = 0
}
