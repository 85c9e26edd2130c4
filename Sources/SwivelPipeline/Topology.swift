/// How a port joins networks: an access port carries one network untagged; a trunk carries networks
/// as 802.1Q VLAN IDs, optionally with one native network untagged.
public struct PortMembership: Sendable, Equatable {
    /// The access network, or the trunk's native network.
    public var untagged: UInt16?
    /// VLAN ID -> network, on trunks.
    public var tagged: [UInt16: UInt16]
    /// Networks carried by VNI: the VXLAN port's (each frame's network comes from its VXLAN header).
    public var overlay: [UInt16]

    public init(untagged: UInt16?, tagged: [UInt16: UInt16] = [:], overlay: [UInt16] = []) {
        self.untagged = untagged; self.tagged = tagged; self.overlay = overlay
    }
    public static func access(_ network: UInt16) -> PortMembership { PortMembership(untagged: network) }
    public static func trunk(_ tagged: [UInt16: UInt16], native: UInt16? = nil) -> PortMembership {
        PortMembership(untagged: native, tagged: tagged)
    }
    public var isTrunk: Bool { !tagged.isEmpty }
    /// Every network the port carries.
    public var networks: Set<UInt16> { Set(tagged.values).union(untagged.map { [$0] } ?? []).union(overlay) }
}

/// The datapath's view of which ports exist and which networks each carries. Immutable: the control
/// plane builds a new one and the datapath adopts it between batches.
/// Ownership: shared read-only snapshot (built by the control plane, adopted between batches).
public final class Topology: Sendable {
    public static let noNetwork: UInt16 = 0xFFFF
    public let maxPorts: Int
    public let networkCount: Int
    public let membership: [PortMembership?]
    /// Network of untagged (and priority-tagged) frames arriving on each port, or `noNetwork`.
    public let untaggedNetwork: [UInt16]
    public let isTrunk: [Bool]
    /// Trunk ports' VID -> network maps, 4096 entries each, found through `vlanMapIndex` (-1: not a trunk).
    public let vlanMapIndex: [Int32]
    public let vlanMaps: [UInt16]
    /// VLAN ID to push when sending a frame of network n on port p, at [p * networkCount + n]; 0: untagged.
    public let egressVLAN: [UInt16]
    /// Ports of each network, in id order: the flood domain.
    public let portsOfNetwork: [[UInt16]]
    /// What port-security ports may send.
    public let security: PortSecurityTable
    /// VNIs, remote VTEPs and outer-header settings of the VXLAN port (`OverlayTable.none`: no overlay).
    public let overlay: OverlayTable
    /// The VXLAN port's id, or -1: the output stage's one comparison per delivery.
    public let overlayPort: Int

    public init(maxPorts: Int, membership assignments: [Int: PortMembership],
                security policies: [Int: PortSecurityPolicy] = [:], overlay: OverlayTable = .none) {
        security = PortSecurityTable(maxPorts: maxPorts, policies: policies)
        self.overlay = overlay
        overlayPort = overlay.port.map(Int.init) ?? -1
        self.maxPorts = maxPorts
        var networks = 0
        for m in assignments.values { for n in m.networks { networks = max(networks, Int(n) + 1) } }
        networkCount = networks
        var members = [PortMembership?](repeating: nil, count: maxPorts)
        var untagged = [UInt16](repeating: Self.noNetwork, count: maxPorts)
        var trunk = [Bool](repeating: false, count: maxPorts)
        var mapIndex = [Int32](repeating: -1, count: maxPorts)
        var maps: [UInt16] = []
        var egress = [UInt16](repeating: 0, count: maxPorts * max(networks, 1))
        var lists = [[UInt16]](repeating: [], count: networks)
        for port in 0..<maxPorts {
            guard let m = assignments[port] else { continue }
            members[port] = m
            untagged[port] = m.untagged ?? Self.noNetwork
            if m.isTrunk {
                trunk[port] = true
                mapIndex[port] = Int32(maps.count / 4096)
                var map = [UInt16](repeating: Self.noNetwork, count: 4096)
                for (vid, net) in m.tagged {
                    precondition(vid >= 1 && vid <= 4094, "VLAN ID \(vid) out of range")
                    map[Int(vid)] = net
                    // The native network leaves untagged even if it is also listed by its VLAN ID.
                    if net != m.untagged { egress[port * networks + Int(net)] = vid }
                }
                maps += map
            }
            for n in m.networks.sorted() { lists[Int(n)].append(UInt16(port)) }
        }
        membership = members
        untaggedNetwork = untagged
        isTrunk = trunk
        vlanMapIndex = mapIndex
        vlanMaps = maps
        egressVLAN = egress
        portsOfNetwork = lists
    }

    /// Every port an access port of one network (tests, benchmarks, single-network setups).
    public convenience init(maxPorts: Int, networkOfPort assignments: [Int: UInt16]) {
        self.init(maxPorts: maxPorts, membership: assignments.mapValues { .access($0) })
    }

    /// The network a frame tagged `vid` belongs to on `port`, or `noNetwork`.
    @inlinable @inline(__always)
    public func network(port: Int, vid: UInt16) -> UInt16 {
        let index = vlanMapIndex[port]
        return index < 0 ? Self.noNetwork : vlanMaps[Int(index) * 4096 + Int(vid & 0x0FFF)]
    }

    /// The VLAN ID frames of `network` carry when sent on `port` (0: untagged).
    @inlinable @inline(__always)
    public func egressTag(port: Int, network: UInt16) -> UInt16 {
        Int(network) < networkCount ? egressVLAN[port * networkCount + Int(network)] : 0
    }

    /// The ports of a network: its flood domain. A network no port has joined yet (a router may already
    /// route into it) has none.
    @inlinable @inline(__always)
    public func members(of network: UInt16) -> [UInt16] {
        Int(network) < portsOfNetwork.count ? portsOfNetwork[Int(network)] : []
    }
}
