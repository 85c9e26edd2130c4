import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore

/// A TPACKET_V2 receive ring: fixed 2 KiB slots that the kernel hands over one frame at a time, so a
/// frame is visible at once (no block retire timer, unlike TPACKET_V3). A frame larger than its slot
/// (a GSO super-frame) arrives truncated with TP_STATUS_COPY, and because PACKET_COPY_THRESH is set the
/// kernel also queues the whole frame on the socket, where we read it with recvmsg in the same order.
final class RxRingV2 {
    let fd: Int32
    let base: UnsafeMutableRawPointer
    let frameSize: Int
    let frameCount: Int
    let length: Int
    var next = 0
    /// Room for one whole super-frame read from the socket queue.
    let copyBuffer: UnsafeMutableRawPointer
    static let copyBufferSize = OffloadInfo.wireSize + 65536 + 64

    init(fd: Int32, device: String, frameSize: Int = 2048, blockSize: Int = 64 << 10, blockCount: Int = 32) throws(PortError) {
        var version = Int32(TPACKET_V2.rawValue)
        guard setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, 4) == 0 else {
            throw PortError(port: device, reason: "PACKET_VERSION TPACKET_V2: \(errnoText(errno))")
        }
        var copyThreshold: Int32 = 1
        guard setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &copyThreshold, 4) == 0 else {
            throw PortError(port: device, reason: "PACKET_COPY_THRESH: \(errnoText(errno))")
        }
        var req = tpacket_req()
        req.tp_block_size = UInt32(blockSize)
        req.tp_block_nr = UInt32(blockCount)
        req.tp_frame_size = UInt32(frameSize)
        req.tp_frame_nr = UInt32(blockSize / frameSize * blockCount)
        guard setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, socklen_t(MemoryLayout<tpacket_req>.size)) == 0 else {
            throw PortError(port: device, reason: "PACKET_RX_RING: \(errnoText(errno))")
        }
        length = blockSize * blockCount
        guard let m = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0), m != MAP_FAILED else {
            throw PortError(port: device, reason: "mmap of the receive ring: \(errnoText(errno))")
        }
        self.fd = fd
        base = m
        self.frameSize = frameSize
        frameCount = Int(req.tp_frame_nr)
        copyBuffer = .allocate(byteCount: Self.copyBufferSize, alignment: 64)
    }

    deinit {
        munmap(base, length)
        copyBuffer.deallocate()
    }

    /// Takes frames until the batch is full or the next slot is still the kernel's. False when empty.
    func receive(into batch: inout PacketBatch, port: UInt16, mtu: Int, pool: FramePool, counters: PortCounters) -> Bool {
        while !batch.isFull {
            let slot = base + next * frameSize
            let status = vsw_load_acquire_u32(slot)
            guard status & UInt32(TP_STATUS_USER) != 0 else { return false }
            let h = slot.assumingMemoryBound(to: tpacket2_hdr.self)
            let frame: FrameIndex?
            let tag = Self.vlanTag(status: status, tci: h.pointee.tp_vlan_tci, tpid: h.pointee.tp_vlan_tpid)
            if status & UInt32(TP_STATUS_COPY) != 0 {
                frame = receiveCopy(port: port, mtu: mtu, pool: pool, counters: counters, vlanTag: tag)
            } else {
                let mac = Int(h.pointee.tp_mac)
                let snap = Int(h.pointee.tp_snaplen)
                frame = admitFrame(UnsafeRawPointer(slot + mac - OffloadInfo.wireSize), count: snap + OffloadInfo.wireSize,
                                   vnet: true, truncated: snap < Int(h.pointee.tp_len), port: port, mtu: mtu,
                                   pool: pool, counters: counters, vlanTag: tag)
            }
            vsw_store_release_u32(slot, UInt32(TP_STATUS_KERNEL))
            next = next + 1 == frameCount ? 0 : next + 1
            if let frame { batch.append(frame) }
        }
        return true
    }

    /// The whole frame behind a truncated slot, from the socket's receive queue.
    func receiveCopy(port: UInt16, mtu: Int, pool: FramePool, counters: PortCounters, vlanTag: UInt32) -> FrameIndex? {
        let n = recv(fd, copyBuffer, Self.copyBufferSize, Int32(MSG_DONTWAIT | MSG_TRUNC))
        guard n > 0 else {
            counters.countDrop(Int(port), .truncated)   // the copy was not queued (receive buffer full)
            return nil
        }
        return admitFrame(UnsafeRawPointer(copyBuffer), count: min(n, Self.copyBufferSize), vnet: true,
                          truncated: n > Self.copyBufferSize, port: port, mtu: mtu, pool: pool, counters: counters,
                          vlanTag: vlanTag)
    }

    /// The tag the kernel stripped (TPID << 16 | TCI), or 0. Older kernels leave the TPID out: 802.1Q then.
    @inline(__always)
    static func vlanTag(status: UInt32, tci: UInt16, tpid: UInt16) -> UInt32 {
        guard status & UInt32(TP_STATUS_VLAN_VALID) != 0 else { return 0 }
        let type = status & UInt32(TP_STATUS_VLAN_TPID_VALID) != 0 ? tpid : UInt16(ETH_P_8021Q)
        return UInt32(type) << 16 | UInt32(tci)
    }
}
