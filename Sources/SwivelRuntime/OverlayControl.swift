import CSwivelLinux
import Foundation
import Synchronization
import Logging
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

// The overlay through the API: settings, the VXLAN port, VNIs and VTEPs, remote MACs.
extension SwitchRuntime {
    /// The overlay as the datapath runs it: settings, the VXLAN port's state and inner MTU, VNIs and remote
    /// VTEPs per network, and the remote MACs the FDB holds per network and per VTEP.
    public func overlay() async throws -> OverlayStateDoc {
        try await mailbox.send(ReadOverlay())
    }
}

/// The overlay as the datapath runs it: settings, the VXLAN port, VNIs and VTEPs per network, remote MACs per network and VTEP.
struct ReadOverlay: ControlRequest {
    func run(on dp: Datapath) -> OverlayStateDoc {
        guard let spec = dp.model.desired.overlay, let id = dp.model.overlayPortID else { return OverlayStateDoc(configured: false) }
        let table = dp.pipeline.topology.overlay
        let rows = dp.pipeline.l2.fdb.rows(now: dp.clock.nowNanos).filter { $0.port == id }
        var perVTEP: [UInt32: (macs: Int, statics: Int)] = [:]
        for r in rows {
            var c = perVTEP[r.remote] ?? (0, 0)
            c.macs += 1
            if r.isStatic { c.statics += 1 }
            perVTEP[r.remote] = c
        }
        var doc = OverlayStateDoc(
            configured: true,
            networks: table.networks.sorted().map { n in
                .init(network: dp.networkNames[n] ?? "#\(n)", vni: Int(table.vni(network: n)),
                      remoteVteps: table.remotes(network: n).map(IPv4Address.format), remoteMacs: rows.filter { $0.network == n }.count)
            },
            vteps: perVTEP.sorted { $0.key < $1.key }.map { .init(vtep: IPv4Address.format($0.key), macs: $0.value.macs, staticMacs: $0.value.statics) })
        doc.localIP = spec.localIP
        doc.udpPort = Int(table.udpPort)
        doc.device = spec.device
        doc.state = dp.ports[Int(id)]?.state
        doc.innerMTU = dp.ports[Int(id)]?.mtu
        doc.learn = table.learn
        doc.ttl = Int(table.ttl)
        doc.df = table.dontFragment
        return doc
    }
}
