import CSwivelLinux
import Glibc
import SwivelPacket
import SwivelCore

/// A TPACKET_V3 receive ring: the kernel fills blocks of frames in memory shared with us and hands a
/// block over when it is full or its retire timer fires. Frames are copied from the block into pool
/// frames (so the block can be returned at once and the pool stays the only owner of frames).
final class RxRing {
    let base: UnsafeMutableRawPointer
    let blockSize: Int
    let blockCount: Int
    var block = 0            // the block we read next
    var packetInBlock = 0    // packets of `block` already taken
    var nextPacket: UnsafeMutableRawPointer? = nil

    init(fd: Int32, device: String, blockTimeoutMs: UInt32, blockSize: Int = 256 << 10, blockCount: Int = 32) throws(PortError) {
        var version = Int32(TPACKET_V3.rawValue)
        guard setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, 4) == 0 else {
            throw PortError(port: device, reason: "PACKET_VERSION TPACKET_V3: \(errnoText(errno))")
        }
        var req = tpacket_req3()
        req.tp_block_size = UInt32(blockSize)
        req.tp_block_nr = UInt32(blockCount)
        req.tp_frame_size = 2048
        req.tp_frame_nr = UInt32(blockSize / 2048 * blockCount)
        req.tp_retire_blk_tov = blockTimeoutMs
        req.tp_feature_req_word = 0
        guard setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, socklen_t(MemoryLayout<tpacket_req3>.size)) == 0 else {
            throw PortError(port: device, reason: "PACKET_RX_RING: \(errnoText(errno))")
        }
        let length = blockSize * blockCount
        guard let m = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0),
              m != MAP_FAILED else {
            throw PortError(port: device, reason: "mmap of the receive ring: \(errnoText(errno))")
        }
        base = m
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    deinit { munmap(base, blockSize * blockCount) }

    /// Takes frames until the batch is full or no block is ready. Returns false when the ring is empty.
    func receive(into batch: inout PacketBatch, port: UInt16, mtu: Int, pool: FramePool, counters: PortCounters) -> Bool {
        while !batch.isFull {
            let b = base + block * blockSize
            guard vsw_block_status_acquire(b) & UInt32(TP_STATUS_USER) != 0 else { return false }
            let total = Int(vsw_block_num_pkts(b))
            if packetInBlock == 0 { nextPacket = b + Int(vsw_block_first_offset(b)) }
            while packetInBlock < total && !batch.isFull {
                let h = nextPacket!.assumingMemoryBound(to: tpacket3_hdr.self)
                let mac = Int(h.pointee.tp_mac)
                let snap = Int(h.pointee.tp_snaplen)
                let frameStart = nextPacket! + mac - OffloadInfo.wireSize
                if let f = admitFrame(UnsafeRawPointer(frameStart), count: snap + OffloadInfo.wireSize, vnet: true,
                                      truncated: snap < Int(h.pointee.tp_len), port: port, mtu: mtu,
                                      pool: pool, counters: counters,
                                      vlanTag: RxRingV2.vlanTag(status: h.pointee.tp_status, tci: UInt16(truncatingIfNeeded: h.pointee.hv1.tp_vlan_tci),
                                                                tpid: UInt16(truncatingIfNeeded: h.pointee.hv1.tp_vlan_tpid))) {
                    batch.append(f)
                }
                nextPacket = nextPacket! + Int(h.pointee.tp_next_offset)
                packetInBlock += 1
            }
            if packetInBlock >= total {
                vsw_block_release(b)
                block = (block + 1) % blockCount
                packetInBlock = 0
            }
        }
        return true
    }
}
