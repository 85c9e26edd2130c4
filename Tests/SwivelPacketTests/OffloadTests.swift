import Testing
@testable import SwivelPacket
import SwivelAddress

@Suite struct OffloadTests {
    let a = MACAddress(2, 0, 0, 0, 0, 1), b = MACAddress(2, 0, 0, 0, 0, 2)
    let src: UInt32 = 0x0A01_0001, dst: UInt32 = 0x0A01_0002

    func frame(_ l3: [UInt8]) -> [UInt8] {
        PacketBuilder.ethernet(destination: b, source: a, etherType: EtherType.ipv4, payload: l3)
    }

    /// Verifies the TCP checksum of a frame with a 20-byte IPv4 header.
    func tcpChecksumIsValid(_ f: [UInt8]) -> Bool {
        let ipLen = Int(f[16]) << 8 | Int(f[17])
        let l4 = Array(f[34..<(14 + ipLen)])
        let pseudo = Checksum.pseudoHeaderIPv4(source: src, destination: dst, proto: 6, length: l4.count)
        return l4.withUnsafeBytes { Checksum.compute($0.baseAddress!, count: $0.count, initial: pseudo) } == 0
    }

    @Test func completesPartialChecksum() {
        let payload = (0..<300).map { UInt8($0 & 0xFF) }
        let full = frame(PacketBuilder.tcp(source: src, destination: dst, sourcePort: 1000, destinationPort: 80,
                                           sequence: 7, payload: payload))
        var partial = frame(PacketBuilder.tcp(source: src, destination: dst, sourcePort: 1000, destinationPort: 80,
                                              sequence: 7, payload: payload, partialChecksum: true))
        #expect(partial != full)
        var info = OffloadInfo(flags: OffloadInfo.needsChecksum, csumStart: 34, csumOffset: 16)
        let failure = partial.withUnsafeMutableBytes { Offload.completeChecksum($0.baseAddress!, length: $0.count, offload: &info) }
        #expect(failure == nil)
        #expect(partial == full)
        #expect(!info.needsChecksum)
    }

    @Test func rejectsChecksumOffsetsOutsideFrame() {
        var f = frame(PacketBuilder.tcp(source: src, destination: dst, sourcePort: 1, destinationPort: 2, sequence: 0, payload: []))
        var info = OffloadInfo(flags: OffloadInfo.needsChecksum, csumStart: 50, csumOffset: 16)
        let failure = f.withUnsafeMutableBytes { Offload.completeChecksum($0.baseAddress!, length: $0.count, offload: &info) }
        #expect(failure == .badChecksumOffsets)
    }

    @Test func segmentsTCPSuperFrameLikeTheKernel() throws {
        let pool = FramePool(smallCount: 64, largeCount: 4, receiveReserve: 0)
        let payload = (0..<4000).map { UInt8(($0 * 7) & 0xFF) }
        let sequence: UInt32 = 0xFFFF_FF00   // wraps during the run
        let superFrame = frame(PacketBuilder.tcp(source: src, destination: dst, sourcePort: 5000, destinationPort: 80,
                                                 sequence: sequence, flags: 0x18 | 0x01 | 0x80, id: 100,
                                                 payload: payload, partialChecksum: true))
        let info = OffloadInfo(flags: OffloadInfo.needsChecksum, gsoType: OffloadInfo.gsoTCPv4, headerLength: 54,
                               gsoSize: 1448, csumStart: 34, csumOffset: 16)
        let f = try #require(superFrame.withUnsafeBytes { pool.make(bytes: $0, inPort: 0, offload: info) })
        var out = PacketBatch(capacity: 64)
        defer { out.deallocate() }
        #expect(Offload.segmentTCP(f, pool: pool, into: &out) == nil)
        #expect(out.count == 3)
        var reassembled: [UInt8] = []
        for i in 0..<out.count {
            let s = pool.bytes(out[i])
            let chunk = i < 2 ? 1448 : 4000 - 2 * 1448
            #expect(s.count == 54 + chunk)
            #expect(Int(s[16]) << 8 | Int(s[17]) == 40 + chunk)                  // IP total length
            #expect(Int(s[18]) << 8 | Int(s[19]) == 100 + i)                     // IP ID increments
            #expect(s.withUnsafeBytes { Checksum.compute($0.baseAddress! + 14, count: 20) } == 0)
            let seq = s.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 38, as: UInt32.self)) }
            #expect(seq == sequence &+ UInt32(i * 1448))
            let flags = s[47]
            #expect((flags & 0x01 != 0) == (i == 2))   // FIN on the last only
            #expect((flags & 0x08 != 0) == (i == 2))   // PSH on the last only
            #expect((flags & 0x80 != 0) == (i == 0))   // CWR on the first only
            #expect(tcpChecksumIsValid(s))
            #expect(pool.meta[Int(out[i])].offload.isPlain)
            reassembled += s[54...]
        }
        #expect(reassembled == payload)
        out.freeAll(to: pool)
        pool.free(f)
        #expect(pool.freeSmall == 64 && pool.freeLarge == 4)
    }

    /// A header claiming a segment size near 64 KiB over a super-frame of nearly 64 KiB: each segment's
    /// IPv4 total length would overflow its 16 bits. Refused, not trapped on.
    @Test func refusesSegmentsWhoseIPLengthWouldOverflow() throws {
        let pool = FramePool(smallCount: 8, largeCount: 2, receiveReserve: 0)
        // The frame runs on past what its IPv4 header says (a guest can write any bytes behind a header).
        let superFrame = frame(PacketBuilder.tcp(source: src, destination: dst, sourcePort: 5000, destinationPort: 80,
                                                 sequence: 1, payload: [1], partialChecksum: true))
            + [UInt8](repeating: 0x5A, count: 65_700)
        let info = OffloadInfo(flags: OffloadInfo.needsChecksum, gsoType: OffloadInfo.gsoTCPv4, headerLength: 54,
                               gsoSize: 65_535, csumStart: 34, csumOffset: 16)
        let f = try #require(superFrame.withUnsafeBytes { pool.make(bytes: $0, inPort: 0, offload: info) })
        var out = PacketBatch(capacity: 8)
        defer { out.deallocate() }
        #expect(Offload.segmentTCP(f, pool: pool, into: &out) == .malformedGSO)
        #expect(out.count == 0)
        pool.free(f)
    }

    @Test func refusesUDPFragmentationOffload() throws {
        let pool = FramePool(smallCount: 8, largeCount: 1, receiveReserve: 0)
        let f = try #require(frame(PacketBuilder.udp(source: src, destination: dst, sourcePort: 1, destinationPort: 2, payload: [1]))
            .withUnsafeBytes { pool.make(bytes: $0, inPort: 0, offload: OffloadInfo(gsoType: OffloadInfo.gsoUDP, gsoSize: 100)) })
        var out = PacketBatch(capacity: 8)
        defer { out.deallocate() }
        #expect(Offload.segmentTCP(f, pool: pool, into: &out) == .unsupportedGSO)
        #expect(out.count == 0)
    }
}
