import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore
import SwivelAddress

/// This host's VXLAN tunnel endpoint as a port: the datapath's way onto the underlay.
///
/// Receive: a UDP socket bound to `local_ip:udp_port`. The kernel does the outer IPv4/UDP work (checksum,
/// reassembly of a fragmented underlay packet, RPF), keeps ICMP port-unreachable from going out, and
/// hands over the VXLAN payload with the sender's address; recvmmsg writes it straight into pool frames
/// (the decap stage then only moves the frame's start past the 8-byte header).
/// Transmit: a raw IPv4 socket (IPPROTO_RAW, header included), so the switch writes the outer IPv4 and
/// UDP headers itself: the UDP source port per inner flow, TTL and DF, which a UDP socket bound to one
/// port cannot do per packet. The kernel still routes the packet and resolves the underlay next hop, so
/// the underlay can be any interface, routed or not. An AF_PACKET port on the underlay would need the
/// switch to do underlay ARP and routing, and the host stack would still answer VXLAN packets with
/// ICMP port unreachable.
public final class VxlanPort: Port {
    public let id: UInt16
    public let name: String
    /// The underlay interface ("" when not given: the MTU is then taken as 1500 and no socket is tied to one device).
    public let device: String
    let deviceName: InterfaceName?
    public let localAddress: UInt32
    public let udpPort: UInt16
    public var kind: String { "vxlan" }
    public private(set) var state = "down (not bound)"
    public var isUp: Bool { rxFD >= 0 && txFD >= 0 && linkRunning }
    /// The underlay takes plain IPv4 packets: offloads are finished before encapsulation.
    public var acceptsOffload: Bool { false }
    /// The inner MTU: the largest IP packet a workload may send through the overlay.
    public var mtu: Int { underlayMTU - Vxlan.overhead }
    public private(set) var underlayMTU = 1500
    public var hasReceivable: Bool { ready }

    var rxFD: Int32 = -1
    var txFD: Int32 = -1
    var linkRunning = false
    var ready = false
    var armed = false
    var generation: UInt32 = 0
    let batchSize: Int
    let rxMessages: UnsafeMutablePointer<vsw_mmsghdr>
    /// Two per message: the pool frame, then that message's overflow area.
    let rxIovecs: UnsafeMutablePointer<iovec>
    /// Where the rest of a datagram longer than a frame lands: a sender on the same machine (a kernel VTEP
    /// over veth, a VM over virtio-net) may hand over a whole 64 KiB VXLAN super-packet (UDP tunnel
    /// segmentation offload), which no wire would carry. It is then copied into a large frame.
    let overflow: UnsafeMutableRawPointer
    static let overflowSize = 65536
    let rxNames: UnsafeMutablePointer<sockaddr_in>
    let rxFrames: UnsafeMutablePointer<FrameIndex>
    let txMessages: UnsafeMutablePointer<vsw_mmsghdr>
    let txIovecs: UnsafeMutablePointer<iovec>
    let txNames: UnsafeMutablePointer<sockaddr_in>
    /// Datagrams the kernel refused on send since the port was created (no route to a VTEP, too big).
    public private(set) var sendErrors: UInt64 = 0
    public private(set) var lastSendError: Int32 = 0

    public init(id: UInt16, name: String = "vxlan", device: String?, localAddress: UInt32, udpPort: UInt16 = Vxlan.defaultPort,
                batchSize: Int = 64) {
        self.id = id; self.name = name; self.device = device ?? ""
        deviceName = device.map(InterfaceName.init)
        self.localAddress = localAddress; self.udpPort = udpPort; self.batchSize = batchSize
        rxMessages = .allocate(capacity: batchSize)
        rxIovecs = .allocate(capacity: 2 * batchSize)
        overflow = .allocate(byteCount: batchSize * Self.overflowSize, alignment: 64)
        rxNames = .allocate(capacity: batchSize)
        rxFrames = .allocate(capacity: batchSize)
        txMessages = .allocate(capacity: batchSize)
        txIovecs = .allocate(capacity: batchSize)
        txNames = .allocate(capacity: batchSize)
        for i in 0..<batchSize {
            rxMessages[i] = vsw_mmsghdr()
            rxMessages[i].msg_hdr.msg_iov = rxIovecs + 2 * i
            rxMessages[i].msg_hdr.msg_iovlen = 2
            rxIovecs[2 * i + 1] = iovec(iov_base: overflow + i * Self.overflowSize, iov_len: Self.overflowSize)
            txMessages[i] = vsw_mmsghdr()
            txMessages[i].msg_hdr.msg_iov = txIovecs + i
            txMessages[i].msg_hdr.msg_iovlen = 1
            txMessages[i].msg_hdr.msg_name = UnsafeMutableRawPointer(txNames + i)
            txMessages[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
            txNames[i] = sockaddr_in()
            txNames[i].sin_family = sa_family_t(AF_INET)
        }
    }

    deinit {
        rxMessages.deallocate(); rxIovecs.deallocate(); overflow.deallocate(); rxNames.deallocate(); rxFrames.deallocate()
        txMessages.deallocate(); txIovecs.deallocate(); txNames.deallocate()
    }

    /// Binds the sockets now. Throws with the reason when it cannot (the address is not on this host,
    /// the UDP port is taken, the device does not exist).
    public func open() throws(PortError) {
        closeSockets()
        if let d = deviceName {
            guard LinkInfo.index(of: d) != nil else { throw PortError(port: name, reason: "underlay device \(d.name): no such interface") }
        }
        func fail(_ what: String, _ fds: Int32...) -> PortError {
            let e = errno
            for fd in fds where fd >= 0 { Glibc.close(fd) }
            return PortError(port: name, reason: "\(what): \(errnoText(e))")
        }
        let rx = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard rx >= 0 else { throw fail("socket(UDP)") }
        var rcvbuf: Int32 = 8 << 20
        _ = setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, 4)
        if let d = deviceName {
            let rc = d.withPointer { setsockopt(rx, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
            if rc != 0 { throw fail("SO_BINDTODEVICE \(d.name)", rx) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = udpPort.bigEndian
        address.sin_addr.s_addr = localAddress.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(rx, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 { throw fail("bind \(IPv4Address.format(localAddress)):\(udpPort)", rx) }
        let tx = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_RAW))
        guard tx >= 0 else { throw fail("socket(raw IPv4)", rx) }
        var sndbuf: Int32 = 8 << 20
        _ = setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, 4)
        rxFD = rx
        txFD = tx
        generation &+= 1
        refreshLink()
    }

    func refreshLink() {
        guard rxFD >= 0 else { state = "down (not bound)"; linkRunning = false; return }
        if let d = deviceName {
            underlayMTU = LinkInfo.mtu(of: d) ?? underlayMTU
            linkRunning = LinkInfo.isRunning(d) ?? false
        } else {
            linkRunning = true
        }
        state = linkRunning ? "up" : "down (underlay \(device) down)"
    }

    public func start(ring: Ring) {
        guard rxFD >= 0, !armed else { return }
        ring.pollMultishot(fd: rxFD, userData: Completion.encode(.readiness, port: id, slot: generation))
        armed = true
        ready = true
    }

    public func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?) {
        guard rxFD >= 0 else { ready = false; return }
        let want = min(batch.remaining, batchSize)
        guard want > 0 else { return }
        // Room for the largest datagram the underlay delivers whole; the frames go back if unused.
        let room = max(underlayMTU - 28, 1500)
        var have = 0
        while have < want, let f = pool.allocate(bytes: room, forReceive: true) {
            rxFrames[have] = f
            rxIovecs[2 * have] = iovec(iov_base: pool.data(f), iov_len: min(room, pool.capacity(f) - pool.headroom))
            rxMessages[have].msg_hdr.msg_name = UnsafeMutableRawPointer(rxNames + have)
            rxMessages[have].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
            have += 1
        }
        if have == 0 {
            counters.countDrop(Int(id), .poolExhausted)
            return
        }
        let n = Int(max(0, vsw_recvmmsg(rxFD, rxMessages, UInt32(have), Int32(MSG_DONTWAIT))))
        for i in 0..<n {
            var f = rxFrames[i]
            if rxMessages[i].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 {
                counters.countDrop(Int(id), .truncated)
                pool.free(f)
                continue
            }
            let length = Int(rxMessages[i].msg_len)
            let first = rxIovecs[2 * i].iov_len
            if length > first {
                guard let large = pool.allocate(bytes: length, forReceive: true) else {
                    counters.countDrop(Int(id), .poolExhausted)
                    pool.free(f)
                    continue
                }
                pool.data(large).copyMemory(from: pool.data(f), byteCount: first)
                (pool.data(large) + first).copyMemory(from: overflow + i * Self.overflowSize, byteCount: length - first)
                pool.free(f)
                f = large
                // The decap stage turns a TCP super-frame into GSO metadata cut to what the overlay carries.
                pool.meta[Int(f)].offload.gsoSize = UInt16(truncatingIfNeeded: max(mtu, 576))
            }
            let m = pool.meta + Int(f)
            m.pointee.length = UInt32(length)
            m.pointee.inPort = id
            m.pointee.flags = FrameMeta.encapsulated
            m.pointee.remote = UInt32(bigEndian: rxNames[i].sin_addr.s_addr)
            counters.countRx(Int(id), bytes: length)
            batch.append(f)
        }
        for i in n..<have { pool.free(rxFrames[i]) }
        if n < have { ready = false }
    }

    public func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool, counters: PortCounters,
                         ring: Ring?) {
        transmitBatched(frames, count: count, fd: txFD >= 0 ? txFD : nil, port: id, pool: pool, counters: counters,
                        messages: txMessages, capacity: batchSize, prepare: { slot, f in
            // The output stage wrote the outer headers: the frame starts with IPv4, addressed to its VTEP.
            let m = pool.meta[Int(f)]
            txIovecs[slot] = iovec(iov_base: pool.data(f), iov_len: Int(m.length))
            txNames[slot].sin_addr.s_addr = m.remote.bigEndian
        }, refused: { error in
            lastSendError = error
            sendErrors &+= 1
        })
    }

    public func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters) {
        guard c.tag == Completion.Tag.readiness.rawValue, c.slot == generation, rxFD >= 0 else { return }
        if c.result < 0 {
            armed = false
            return
        }
        if Int32(c.result) & Int32(POLLIN) != 0 { ready = true }
        if !c.willContinue {
            armed = false
            start(ring: ring)
        }
    }

    public func maintain(ring: Ring) {
        if rxFD >= 0 {
            refreshLink()
            if !armed { start(ring: ring) }
            return
        }
        do {
            try open()
            start(ring: ring)
        } catch {
            state = "down (\(error.reason))"
        }
    }

    func closeSockets() {
        if rxFD >= 0 { Glibc.close(rxFD) }
        if txFD >= 0 { Glibc.close(txFD) }
        rxFD = -1
        txFD = -1
        ready = false
        armed = false
        linkRunning = false
        state = "down (not bound)"
    }

    public func stop(ring: Ring?, pool: FramePool) {
        ring?.cancel(userData: Completion.encode(.readiness, port: id, slot: generation))
        closeSockets()
    }
}
