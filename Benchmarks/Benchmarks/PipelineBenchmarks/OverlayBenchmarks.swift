import Benchmark
import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// Port 3 is the VXLAN port carrying network 0 as VNI 5001 to two remote VTEPs; ports 0-2 are local.
/// Frames are 64-byte inner frames (110 bytes on the underlay).
enum OverlayBench {
    static let remote = MACAddress(2, 0, 0, 0, 0, 0xe)
    static let vtep: UInt32 = 0xC000_0202, otherVTEP: UInt32 = 0xC000_0203

    static func make() -> Bench {
        let overlay = OverlayTable(port: 3, localAddress: 0xC000_0201, networks: [0: (5001, [vtep, otherVTEP])])
        let bench = Bench(frames: [frame(remote, MACAddress(2, 0, 0, 0, 0, 0xa))],
                          membership: [0: .access(0), 1: .access(0), 2: .access(0), 3: PortMembership(untagged: nil, overlay: [0])],
                          overlay: overlay)
        bench.pipeline.l2.fdb.addStatic(network: 0, mac: remote, port: 3, remote: vtep)
        return bench
    }

    /// A VXLAN payload (header + inner frame from the remote MAC to A, learned on port 0).
    static let payload: [UInt8] = [0x08, 0, 0, 0, 0x00, 0x13, 0x89, 0] + frame(MACAddress(2, 0, 0, 0, 0, 0xa), remote)
}

func overlayBenchmarks() {
    // Known unicast to a MAC behind a remote VTEP: l2 hit, outer IPv4/UDP/VXLAN written into the headroom.
    steadyState("Pipeline.overlay-encap-known-unicast.batch-64", OverlayBench.make())

    // Frames from the VXLAN port: header checked, VNI -> network, remote MAC learned behind its VTEP, out to port 0.
    let decap = OverlayBench.make()
    Benchmark("Pipeline.overlay-decap-to-local-port.batch-64") { benchmark in
        for _ in benchmark.scaledIterations {
            OverlayBench.payload.withUnsafeBytes { bytes in
                while !decap.batch.isFull {
                    let f = decap.pool.make(bytes: bytes, inPort: 3)!
                    decap.pool.meta[Int(f)].flags = FrameMeta.encapsulated
                    decap.pool.meta[Int(f)].remote = OverlayBench.vtep
                    decap.batch.append(f)
                }
            }
            decap.step()
        }
    }

    // A broadcast into the overlay: one copy per remote VTEP (head-end replication) plus the local ports.
    let flood = Bench(frames: [frame(.broadcast, MACAddress(2, 0, 0, 0, 0, 0xa))],
                      membership: [0: .access(0), 1: .access(0), 2: .access(0), 3: PortMembership(untagged: nil, overlay: [0])],
                      overlay: OverlayTable(port: 3, localAddress: 0xC000_0201, networks: [0: (5001, [OverlayBench.vtep, OverlayBench.otherVTEP])]))
    steadyState("Pipeline.overlay-flood-2-vteps-2-local.batch-64", flood)
}
