import Testing
import SwivelPacket
@testable import SwivelPipeline
import SwivelCore
import SwivelAddress

@Suite struct TraceTests {
    @Test func explainRunsTheStagesWithoutEffects() throws {
        let h = PipelineHarness(ports: [0: 0, 1: 0, 2: 0])
        _ = h.send(port: 1, Hosts.frame(from: Hosts.b, to: .broadcast))   // B learned on port 1
        let fdbBefore = h.pipeline.l2.fdb.count, flowsBefore = h.pipeline.flows.table.count
        let f = try #require(Hosts.frame(from: Hosts.a, to: Hosts.b).withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0) })
        let records = h.pipeline.explain(f, now: h.clock.nowNanos)
        #expect(records.map(\.stage) == [StageID.parse, StageID.vlan, StageID.l2, StageID.output])
        #expect(records[2].lookup == .hit && records[2].verdict == .output && records[2].port == 1)
        #expect(records[3].verdict == .output && records[3].port == 1)
        // Nothing learned, recorded, queued or counted; the frame is back in the pool.
        #expect(h.pipeline.l2.fdb.count == fdbBefore && h.pipeline.flows.table.count == flowsBefore)
        #expect(h.drain().isEmpty)
        #expect(h.pipeline.counters.snapshot(port: 0).drops.isEmpty)
        #expect(h.allFramesFree)
    }

    @Test func explainNamesTheDrop() throws {
        let h = PipelineHarness(ports: [0: 0, 1: 0])
        let stp = Hosts.frame(from: Hosts.a, to: MACAddress(1, 0x80, 0xc2, 0, 0, 0))
        let f = try #require(stp.withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0) })
        let records = h.pipeline.explain(f, now: h.clock.nowNanos)
        #expect(records.last?.verdict == .drop && records.last?.reason == DropReason.linkLocal.rawValue)
        let runt = try #require([UInt8](repeating: 1, count: 10).withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0) })
        let r2 = h.pipeline.explain(runt, now: h.clock.nowNanos)
        #expect(r2.first?.verdict == .drop && r2.first?.reason == DropReason.runt.rawValue)
        #expect(h.allFramesFree)
    }

    @Test func tracedFramesGetOneRecordPerStageAndPerFloodCopy() throws {
        let h = PipelineHarness(ports: [0: 0, 1: 0, 2: 0])
        let traced = try #require(Hosts.frame(from: Hosts.a, to: .broadcast).withUnsafeBytes { h.pool.make(bytes: $0, inPort: 0) })
        h.pool.meta[Int(traced)].flags |= FrameMeta.traced
        h.pool.meta[Int(traced)].traceID = 7
        let plain = try #require(Hosts.frame(from: Hosts.c, to: .broadcast).withUnsafeBytes { h.pool.make(bytes: $0, inPort: 2) })
        h.batch.append(traced)
        h.batch.append(plain)
        h.pipeline.process(&h.batch, now: h.clock.nowNanos)
        let out = h.drain()
        #expect(out[1]?.count == 2 && out[2]?.count == 1)
        let records = h.pipeline.trace.take()
        #expect(records.allSatisfy { $0.packet == 7 })          // the untraced frame wrote nothing
        // Output: one record per flood copy; port-security writes nothing on a port without it.
        #expect(records.map(\.stage) == [StageID.parse, StageID.vlan, StageID.l2, StageID.flowRecord, StageID.output, StageID.output])
        #expect(Set(records.filter { $0.stage == StageID.output }.map(\.port)) == [1, 2])
        #expect(h.allFramesFree)
    }
}
