import SwivelControl
import SwivelPipeline

/// Numbering: gives the model's networks and ports the small ids the datapath indexes its tables by,
/// keeping every id a name already has, so a change leaves what was learned about the others alone.
///
/// A port keeps its id while its kind and device stay; otherwise it is closed and gets a new one (a new
/// socket or TAP). The overlay's VXLAN port keeps its id unless its sockets change.
public struct Numbering: Sendable, Equatable {
    public var networkIDs: [String: UInt16] = [:]
    public var portIDs: [String: UInt16] = [:]
    /// The VXLAN port's id while an overlay is configured.
    public var overlayPortID: UInt16?
    /// Ports that need a device opened (new ones, or ones whose kind or device changed), in model order.
    public var fresh: [String] = []
    /// Whether the VXLAN port needs new sockets (a new overlay, or a new address, port or device).
    public var freshOverlay = false
    /// Ids of ports to stop: removed, re-created, or the VXLAN port when its sockets change.
    public var closing: [UInt16] = []

    public init() {}

    /// The ids for `desired`, from the ones the running model (`current`, numbered `before`) gave.
    /// `freePortIDs`: ids that may be given to new ports (neither used nor held by a port still draining).
    public static func assign(from current: NetworkConfig, numbered before: Numbering, to desired: NetworkConfig,
                              freePortIDs: [UInt16], maxPorts: Int, maxNetworks: Int = FDB.maxNetworks) throws(CompileError) -> Numbering {
        var n = Numbering()
        var names = desired.networks.map(\.name)
        if !names.contains(NetworkConfig.defaultNetworkName) { names.append(NetworkConfig.defaultNetworkName) }
        var usedNetworks = Set<UInt16>()
        for name in names { if let id = before.networkIDs[name] { n.networkIDs[name] = id; usedNetworks.insert(id) } }
        var nextNetwork: UInt16 = 0
        for name in names where n.networkIDs[name] == nil {
            while usedNetworks.contains(nextNetwork) { nextNetwork += 1 }
            guard Int(nextNetwork) < maxNetworks else { throw CompileError(.tooManyNetworks, "at most \(maxNetworks) networks") }
            n.networkIDs[name] = nextNetwork
            usedNetworks.insert(nextNetwork)
        }

        for spec in desired.ports {
            if let id = before.portIDs[spec.name], let old = current.ports.first(where: { $0.name == spec.name }),
               old.kind == spec.kind, old.device == spec.device {
                n.portIDs[spec.name] = id
            } else {
                if let id = before.portIDs[spec.name] { n.closing.append(id) }
                n.fresh.append(spec.name)
            }
        }
        for (name, id) in before.portIDs where !desired.ports.contains(where: { $0.name == name }) { n.closing.append(id) }
        n.overlayPortID = before.overlayPortID
        if let id = n.overlayPortID, desired.overlay?.needsNewSockets(comparedTo: current.overlay) ?? true {
            n.closing.append(id)
            n.overlayPortID = nil
        }
        var free = freePortIDs.filter { id in !n.portIDs.values.contains(id) && id != n.overlayPortID }.sorted()
        for name in n.fresh {
            guard !free.isEmpty else { throw CompileError(.tooManyPorts, "no free port id (at most \(maxPorts) ports)") }
            n.portIDs[name] = free.removeFirst()
        }
        if desired.overlay != nil, n.overlayPortID == nil {
            guard !free.isEmpty else { throw CompileError(.tooManyPorts, "no free port id for the overlay's VXLAN port") }
            n.overlayPortID = free.removeFirst()
            n.freshOverlay = true
        }
        return n
    }
}

/// A model the datapath cannot take although it validates (more ports than ids), with the API's code.
public struct CompileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: APIErrorCode
    public var description: String
    public init(_ code: APIErrorCode, _ description: String) { self.code = code; self.description = description }
}
