/// Software fallbacks for virtio-net offloads, for frames that leave through a port that cannot take
/// partial checksums or GSO super-frames (a pcap file, a port with offloads off).
public enum Offload {
    public enum Failure: UInt8, Sendable {
        case badChecksumOffsets   // csum_start/csum_offset point outside the frame
        case unsupportedGSO       // a GSO type we do not segment (UDP fragmentation offload)
        case malformedGSO         // headers of a GSO frame do not parse
        case poolExhausted        // no frames left for the segments
    }

    /// Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) in place: the field already holds the
    /// pseudo-header sum, so summing from csum_start to the end and storing the complement finishes it.
    @inlinable
    public static func completeChecksum(_ p: UnsafeMutableRawPointer, length: Int, offload: inout OffloadInfo) -> Failure? {
        guard offload.needsChecksum else { return nil }
        let start = Int(offload.csumStart), field = start + Int(offload.csumOffset)
        guard start < length, field + 2 <= length else { return .badChecksumOffsets }
        var c = Checksum.compute(p + start, count: length - start)
        // A computed UDP checksum of 0 is sent as 0xFFFF (RFC 768); for TCP 0 and 0xFFFF are equal sums.
        if c == 0 { c = 0xFFFF }
        p.storeBytes(of: c.bigEndian, toByteOffset: field, as: UInt16.self)
        offload.flags &= ~OffloadInfo.needsChecksum
        return nil
    }

    /// Whether a partial checksum's place (`csumStart`, `csumOffset` from a virtio-net header a guest wrote)
    /// is the checksum field of the frame's TCP or UDP header, right behind the IP header, as every kernel
    /// that sends partial checksums puts it. Anywhere else, finishing the checksum would write into bytes
    /// other stages have already judged: the MACs, the IP addresses, an IPv6 extension header.
    @inlinable
    public static func checksumIsInTransportHeader(_ p: UnsafeRawPointer, length: Int, l3Offset: Int, etherType: UInt16,
                                                   offload: OffloadInfo) -> Bool {
        let start = Int(offload.csumStart), field = Int(offload.csumOffset)
        let proto: UInt8
        switch etherType {
        case EtherType.ipv4:
            guard length >= l3Offset + 20 else { return false }
            let ihl = Int(p.load(fromByteOffset: l3Offset, as: UInt8.self) & 0x0F) * 4
            guard ihl >= 20, start == l3Offset + ihl else { return false }
            proto = p.load(fromByteOffset: l3Offset + 9, as: UInt8.self)
        case EtherType.ipv6:
            guard length >= l3Offset + 40, start == l3Offset + 40 else { return false }
            proto = p.load(fromByteOffset: l3Offset + 6, as: UInt8.self)
        default:
            return false
        }
        switch proto {
        case IPProtocol.tcp: return field == 16 && start + 18 <= length
        case IPProtocol.udp: return field == 6 && start + 8 <= length
        default: return false
        }
    }

    /// Splits a TCP GSO super-frame (IPv4 or IPv6) into MSS-sized frames with complete checksums,
    /// as the kernel's own GSO does: IPv4 IDs increase per segment, sequence numbers advance, FIN and PSH
    /// stay on the last segment and CWR on the first. Appends the segments to `output`; the original
    /// frame is left to the caller.
    public static func segmentTCP(_ frame: FrameIndex, pool: FramePool, into output: inout PacketBatch) -> Failure? {
        let m = pool.meta[Int(frame)]
        let p = pool.data(frame)
        let length = Int(m.length)
        let gso = m.offload.gsoType & 0x7F
        guard gso == OffloadInfo.gsoTCPv4 || gso == OffloadInfo.gsoTCPv6 else { return .unsupportedGSO }
        guard case .success(let eth) = Ethernet.parse(p, length: length) else { return .malformedGSO }
        let l3 = Int(eth.l3Offset)
        var ipHeaderLength = 40
        var ipv4ID: UInt16 = 0
        if gso == OffloadInfo.gsoTCPv4 {
            guard eth.etherType == EtherType.ipv4, let ip = IPv4Header(p, at: l3, available: length - l3), ip.version == 4,
                  ip.headerLength >= 20, ip.headerLength <= length - l3, ip.totalLength >= ip.headerLength,
                  ip.proto == IPProtocol.tcp else { return .malformedGSO }
            ipHeaderLength = ip.headerLength
            ipv4ID = ip.identification
        } else {
            guard eth.etherType == EtherType.ipv6, let ip6 = IPv6Header(p, at: l3, available: length - l3),
                  ip6.nextHeader == IPProtocol.tcp else { return .malformedGSO }
        }
        let l4 = l3 + ipHeaderLength
        guard length >= l4 + 20 else { return .malformedGSO }
        let tcpHeaderLength = Int((p + l4).load(fromByteOffset: 12, as: UInt8.self) >> 4) * 4
        let headers = l4 + tcpHeaderLength
        guard tcpHeaderLength >= 20, length >= headers else { return .malformedGSO }
        let mss = Int(m.offload.gsoSize)
        guard mss > 0 else { return .malformedGSO }
        let payload = length - headers
        // Each segment's IP length must fit its 16-bit field: a header claiming a gso_size near 64 KiB
        // over a 64 KiB payload would overflow it.
        guard ipHeaderLength + tcpHeaderLength + min(mss, payload) <= 65_535 else { return .malformedGSO }
        let segments = max(1, (payload + mss - 1) / mss)
        guard output.remaining >= segments else { return .poolExhausted }

        let sequence = UInt32(bigEndian: (p + l4).loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let tcpFlags = (p + l4).load(fromByteOffset: 13, as: UInt8.self)
        let firstOut = output.count
        var offset = 0
        for i in 0..<segments {
            let chunk = min(mss, payload - offset)
            guard let s = pool.allocate(bytes: headers + chunk, forReceive: false) else {
                for j in firstOut..<output.count { pool.free(output[j]) }
                output.count = firstOut
                return .poolExhausted
            }
            let q = pool.data(s)
            q.copyMemory(from: p, byteCount: headers)
            (q + headers).copyMemory(from: p + headers + offset, byteCount: chunk)
            let ip = q + l3, tcp = q + l4
            let l4Length = tcpHeaderLength + chunk
            if gso == OffloadInfo.gsoTCPv4 {
                ip.storeBytes(of: UInt16(ipHeaderLength + l4Length).bigEndian, toByteOffset: 2, as: UInt16.self)
                ip.storeBytes(of: (ipv4ID &+ UInt16(truncatingIfNeeded: i)).bigEndian, toByteOffset: 4, as: UInt16.self)
                Checksum.fixIPv4Header(ip, headerLength: ipHeaderLength)
            } else {
                ip.storeBytes(of: UInt16(l4Length).bigEndian, toByteOffset: 4, as: UInt16.self)
            }
            tcp.storeBytes(of: (sequence &+ UInt32(truncatingIfNeeded: offset)).bigEndian, toByteOffset: 4, as: UInt32.self)
            var flags = tcpFlags
            if i != segments - 1 { flags &= ~(0x01 | 0x08) }   // FIN, PSH only on the last segment
            if i != 0 { flags &= ~0x80 }                         // CWR only on the first
            tcp.storeBytes(of: flags, toByteOffset: 13, as: UInt8.self)
            tcp.storeBytes(of: 0, toByteOffset: 16, as: UInt16.self)
            let pseudo: UInt64
            if gso == OffloadInfo.gsoTCPv4 {
                pseudo = Checksum.pseudoHeaderIPv4(
                    source: UInt32(bigEndian: ip.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
                    destination: UInt32(bigEndian: ip.loadUnaligned(fromByteOffset: 16, as: UInt32.self)),
                    proto: IPProtocol.tcp, length: l4Length)
            } else {
                pseudo = Checksum.pseudoHeaderIPv6(ip: ip, proto: IPProtocol.tcp, length: l4Length)
            }
            tcp.storeBytes(of: Checksum.compute(tcp, count: l4Length, initial: pseudo).bigEndian,
                           toByteOffset: 16, as: UInt16.self)
            var sm = m
            sm.dataOffset = UInt32(pool.headroom)
            sm.length = UInt32(headers + chunk)
            sm.offload = OffloadInfo()
            pool.meta[Int(s)] = sm
            output.append(s)
            offset += chunk
        }
        return nil
    }
}
