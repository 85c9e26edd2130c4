import Foundation
import Testing
import SwivelPacket
import SwivelPipeline
@testable import SwivelPorts

/// Software segmentation against the kernel's own: super-frames captured as a switch receives them (with
/// their virtio-net headers) and the segments the kernel made of the same super-frames on a device
/// without TSO (Fixtures/make_gso_fixtures.py). Ours must match segment by segment.
@Suite struct KernelGSOTests {
    static let directory = PcapFixtureTests.fixtures.appendingPathComponent("kernel-gso")

    func field(_ f: [UInt8], _ offset: Int, _ size: Int) -> Int {
        f[offset..<offset + size].reduce(0) { $0 << 8 | Int($1) }
    }

    @Test func segmentsLikeTheKernel() throws {
        let supers = try PcapFixtureTests().frames(in: Self.directory.appendingPathComponent("superframes.pcap").path)
        let kernel = try PcapFixtureTests().frames(in: Self.directory.appendingPathComponent("segments.pcap").path)
        let headers = try String(contentsOf: Self.directory.appendingPathComponent("superframes.vnet"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        try #require(supers.count == headers.count && supers.count > 0)

        let pool = FramePool(smallCount: 512, largeCount: 8, receiveReserve: 0)
        var out = PacketBatch(capacity: 256)
        defer { out.deallocate() }
        var ours: [[UInt8]] = []
        for (frame, h) in zip(supers, headers) {
            let info = OffloadInfo(flags: UInt8(h[0]), gsoType: UInt8(h[1]), headerLength: UInt16(h[2]), gsoSize: UInt16(h[3]),
                                   csumStart: UInt16(h[4]), csumOffset: UInt16(h[5]))
            let f = try #require(frame.withUnsafeBytes { pool.make(bytes: $0, inPort: 0, offload: info) })
            #expect(Offload.segmentTCP(f, pool: pool, into: &out) == nil)
            for i in 0..<out.count { ours.append(pool.bytes(out[i])) }
            out.freeAll(to: pool)
            pool.free(f)
        }
        #expect(ours.count == kernel.count, "segment count: ours \(ours.count), kernel \(kernel.count)")
        for (i, (a, k)) in zip(ours, kernel).enumerated() {
            #expect(a.count == k.count, "segment \(i) length")
            #expect(field(a, 16, 2) == field(k, 16, 2), "segment \(i) IP total length")
            #expect(field(a, 18, 2) == field(k, 18, 2), "segment \(i) IP ID")
            #expect(field(a, 20, 2) == field(k, 20, 2), "segment \(i) IP flags and fragment offset")
            #expect(field(a, 24, 2) == field(k, 24, 2), "segment \(i) IP header checksum")
            #expect(field(a, 38, 4) == field(k, 38, 4), "segment \(i) TCP sequence")
            #expect(a[47] == k[47], "segment \(i) TCP flags")
            #expect(field(a, 50, 2) == field(k, 50, 2), "segment \(i) TCP checksum")
            #expect(a == k, "segment \(i) byte for byte")
        }
        #expect(pool.freeSmall == pool.smallCount && pool.freeLarge == pool.largeCount)
    }
}
