import SwivelPacket
import SwivelPipeline

/// Installing: puts a compiled model into a pipeline's tables between batches, replacing the one it ran.
/// Quick (no table is built here, only adopted) and exact about what it forgets: only what the change
/// invalidates — the learned entries of removed networks and ports, and of ports whose settings changed.
public struct InstallReport: Sendable, Equatable {
    /// Ports added or whose settings changed.
    public var changedPorts: [UInt16] = []
    public var routingChanged = false
    public var securityChanged = false
    public var overlayChanged = false
    public var isEmpty: Bool { changedPorts.isEmpty && !routingChanged && !securityChanged && !overlayChanged }
}

extension Pipeline {
    /// Installs `new` in place of `old`. `removing`: ids of ports that stop (removed, or re-created under a
    /// new id); their counters start again at 0 for whoever gets the id next.
    @discardableResult
    public mutating func install(_ new: CompiledModel, replacing old: CompiledModel, removing: [UInt16] = []) -> InstallReport {
        precondition(new.maxPorts == topology.maxPorts)
        var report = InstallReport()
        // Networks: what a removed network learned is forgotten; each keeps or gets its limit and aging.
        let networkIDs = Dictionary(new.networks.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        for n in old.networks where networkIDs[n.name] != n.id { l2.fdb.forget(network: n.id) }
        for n in new.networks { l2.fdb.configure(network: n.id, limit: n.fdbLimit, agingSeconds: n.agingSeconds) }
        for id in removing where Int(id) < topology.maxPorts {
            l2.fdb.forget(port: id)
            l2.fdb.configure(port: id, limit: nil)
            l2.storm.configure(port: id, pps: nil)
            counters.reset(port: Int(id))
            states.isUp[Int(id)] = false
            conntrack.forget(zone: .port(Int(id)))
        }

        // One topology for the whole change (adopting it forgets what ports that changed networks learned);
        // an overlay with the same content keeps its table, so nothing learned behind VTEPs is flushed.
        let overlay = new.overlay.hasSameContent(as: topology.overlay) ? topology.overlay : new.overlay
        report.overlayChanged = overlay !== topology.overlay
        var membership: [Int: PortMembership] = [:], policies: [Int: PortSecurityPolicy] = [:]
        for p in new.ports {
            membership[Int(p.id)] = p.membership
            policies[Int(p.id)] = p.security
        }
        if let id = overlay.port { membership[Int(id)] = PortMembership(untagged: nil, overlay: overlay.networks) }
        let topologyChanged = report.overlayChanged || (0..<topology.maxPorts).contains { p in
            topology.membership[p] != membership[p] || topology.security.policies[p] != policies[p]
        }
        if topologyChanged {
            adopt(Topology(maxPorts: topology.maxPorts, membership: membership, security: policies, overlay: overlay))
        }

        // Ports' own settings, after the topology (adopting it may have forgotten their fixed MACs).
        for p in new.ports {
            let before = old.port(id: p.id)
            guard before != p else { continue }
            if before != nil { l2.fdb.flush(port: p.id) }
            l2.fdb.configure(port: p.id, limit: p.spec.maxMacs)
            l2.storm.configure(port: p.id, pps: p.spec.stormControlPPS)
            if let network = p.membership.untagged {
                for mac in p.fixedMACs { l2.fdb.addStatic(network: network, mac: mac, port: p.id) }
            }
            report.changedPorts.append(p.id)
        }

        report.routingChanged = new.routing.interfaces != routing.interfaces || new.routing.routes != routing.routes
        adopt(routing: new.routing)
        report.securityChanged = new.security.signature != securityGroups.table.signature
        adopt(security: new.security)
        l2.invalidateCache()
        return report
    }
}
