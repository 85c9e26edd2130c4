import SwivelPacket

/// This host as a VXLAN tunnel endpoint: which networks the overlay carries under which VNI, the remote
/// VTEPs each one floods to, and how the outer headers are written. Immutable: the control plane builds
/// a new one and the datapath adopts it between batches, like the topology.
/// Ownership: shared read-only snapshot (built by the control plane, adopted between batches; workers may
/// share it).
public final class OverlayTable: Sendable {
    /// The VXLAN port's id, or nil when this host is no VTEP.
    public let port: UInt16?
    public let localAddress: UInt32
    public let udpPort: UInt16
    public let ttl: UInt8
    public let dontFragment: Bool
    /// Learn remote MAC -> VTEP from decapsulated frames. Off: remote MACs come from static entries.
    public let learn: Bool
    /// Take frames from VTEPs the network does not list (open flood-and-learn). Off (the default): a
    /// datagram from an unlisted VTEP is dropped as vxlan-unknown-vtep, so no underlay sender can inject
    /// into a VNI it was not given.
    public let acceptFromAny: Bool
    /// VNI of each network id (0: not on the overlay).
    public let vniOfNetwork: [UInt32]
    /// (VNI << 16 | network), sorted: the decap stage's binary search.
    @usableFromInline let byVNI: [UInt64]
    /// Remote VTEPs of each network id: where its broadcast, unknown unicast and multicast go (head-end
    /// replication).
    public let remotes: [[UInt32]]

    public static let none = OverlayTable()

    public init(port: UInt16? = nil, localAddress: UInt32 = 0, udpPort: UInt16 = Vxlan.defaultPort, ttl: UInt8 = 64,
                dontFragment: Bool = true, learn: Bool = true, acceptFromAny: Bool = false, networks: [UInt16: (vni: UInt32, remotes: [UInt32])] = [:]) {
        self.port = port; self.localAddress = localAddress; self.udpPort = udpPort; self.ttl = ttl
        self.dontFragment = dontFragment; self.learn = learn; self.acceptFromAny = acceptFromAny
        let count = (networks.keys.max().map { Int($0) + 1 }) ?? 0
        var vnis = [UInt32](repeating: 0, count: count)
        var lists = [[UInt32]](repeating: [], count: count)
        for (network, n) in networks {
            vnis[Int(network)] = n.vni
            lists[Int(network)] = n.remotes
        }
        vniOfNetwork = vnis
        remotes = lists
        byVNI = networks.map { UInt64($0.value.vni) << 16 | UInt64($0.key) }.sorted()
    }

    /// Same port, settings, VNIs and remote VTEPs: adopting it would change nothing (and must not flush
    /// what was learned).
    public func hasSameContent(as other: OverlayTable) -> Bool {
        port == other.port && localAddress == other.localAddress && udpPort == other.udpPort && ttl == other.ttl
            && dontFragment == other.dontFragment && learn == other.learn && acceptFromAny == other.acceptFromAny && byVNI == other.byVNI && remotes == other.remotes
    }

    /// The networks the VXLAN port carries (its flood domains).
    public var networks: [UInt16] { byVNI.map { UInt16(truncatingIfNeeded: $0) } }

    @inlinable @inline(__always)
    public func network(vni: UInt32) -> UInt16? {
        var low = 0, high = byVNI.count
        while low < high {
            let mid = (low + high) >> 1
            let v = UInt32(truncatingIfNeeded: byVNI[mid] >> 16)
            if v == vni { return UInt16(truncatingIfNeeded: byVNI[mid]) }
            if v < vni { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    @inlinable @inline(__always)
    public func vni(network: UInt16) -> UInt32 {
        Int(network) < vniOfNetwork.count ? vniOfNetwork[Int(network)] : 0
    }

    @inlinable @inline(__always)
    public func remotes(network: UInt16) -> [UInt32] {
        Int(network) < remotes.count ? remotes[Int(network)] : []
    }

    @inlinable @inline(__always)
    public func isConfigured(remote: UInt32, network: UInt16) -> Bool {
        Int(network) < remotes.count && remotes[Int(network)].contains(remote)
    }
}
