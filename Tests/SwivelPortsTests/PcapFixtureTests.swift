import Foundation
import Testing
import SwivelPacket
import SwivelPipeline
@testable import SwivelPorts
import SwivelCore
import SwivelAddress

@Suite struct PcapFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Reads every frame of a pcap file through a PcapPort.
    func frames(in path: String) throws -> [[UInt8]] {
        let pool = FramePool(smallCount: 256, largeCount: 80)
        let counters = PortCounters(maxPorts: 1)
        let port = try PcapPort(id: 0, name: "reader", input: path, output: nil)
        var batch = PacketBatch(capacity: 64)
        defer { batch.deallocate() }
        var out: [[UInt8]] = []
        while port.hasReceivable {
            port.receive(into: &batch, pool: pool, counters: counters, ring: nil)
            for i in 0..<batch.count { out.append(pool.bytes(batch[i])) }
            batch.freeAll(to: pool)
        }
        return out
    }

    @Test func roundTripThroughPcapFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swivel-pcap-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.pcap").path
        let pool = FramePool(smallCount: 64, largeCount: 2)
        let counters = PortCounters(maxPorts: 1)
        let written = (0..<20).map { i in
            PacketBuilder.ethernet(destination: .broadcast, source: MACAddress(2, 0, 0, 0, 0, UInt8(i)), etherType: 0x88b5,
                                   payload: [UInt8](repeating: UInt8(i), count: 46 + i * 50))
        }
        let writer = try PcapPort(id: 0, name: "writer", input: nil, output: path)
        let queue = UnsafeMutablePointer<FrameIndex>.allocate(capacity: written.count)
        defer { queue.deallocate() }
        for (i, bytes) in written.enumerated() { queue[i] = bytes.withUnsafeBytes { pool.make(bytes: $0, inPort: 0)! } }
        writer.transmit(queue, count: written.count, pool: pool, counters: counters, ring: nil)
        writer.stop(ring: nil, pool: pool)
        #expect(pool.freeSmall == 64)
        #expect(counters.snapshot(port: 0).txPackets == 20)
        #expect(try frames(in: path) == written)
    }

    @Test func unreadableFilesAreClearErrors() {
        #expect(throws: PortError.self) { try PcapPort(id: 0, name: "p", input: "/nonexistent/in.pcap", output: nil) }
        #expect(throws: PortError.self) { try PcapPort(id: 0, name: "p", input: nil, output: "/nonexistent/dir/out.pcap") }
    }

    /// Golden test: replays in.pN.pcap through the real pipeline between pcap ports and compares every
    /// port's output with expect.pN.pcap, frame by frame.
    @Test func floodThenLearn() throws {
        let dir = Self.fixtures.appendingPathComponent("flood-then-learn")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("swivel-golden-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let pool = FramePool(smallCount: 256, largeCount: 4)
        var pipeline = Pipeline(pool: pool, topology: Topology(maxPorts: 3, networkOfPort: [0: 0, 1: 0, 2: 0]))
        var ports: [PcapPort] = []
        for i in 0..<3 {
            let input = dir.appendingPathComponent("in.p\(i).pcap").path
            ports.append(try PcapPort(id: UInt16(i), name: "p\(i)", input: FileManager.default.fileExists(atPath: input) ? input : nil,
                                      output: out.appendingPathComponent("p\(i).pcap").path))
            pipeline.states.isUp[i] = true
            pipeline.states.acceptsOffload[i] = false
        }
        var batch = PacketBatch(capacity: 64)
        defer { batch.deallocate() }
        for port in ports {
            while port.hasReceivable {
                port.receive(into: &batch, pool: pool, counters: pipeline.counters, ring: nil)
                pipeline.process(&batch, now: 1_000_000_000)
                for p in ports {
                    let id = Int(p.id)
                    p.transmit(pipeline.queues.queue(id), count: pipeline.queues.counts[id], pool: pool,
                               counters: pipeline.counters, ring: nil)
                    pipeline.queues.counts[id] = 0
                }
            }
        }
        for p in ports { p.stop(ring: nil, pool: pool) }
        for i in 0..<3 {
            let got = try frames(in: out.appendingPathComponent("p\(i).pcap").path)
            let want = try frames(in: dir.appendingPathComponent("expect.p\(i).pcap").path)
            #expect(got == want, "port p\(i)")
        }
        #expect(pipeline.counters.snapshot(port: 0).drops == [.runt: 1])
        #expect(pool.freeSmall == 256 && pool.freeLarge == 4)
    }
}
