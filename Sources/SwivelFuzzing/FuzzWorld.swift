import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// The switch every pipeline input runs through: three networks, access ports, a trunk, port security,
/// a security group, a router and a VXLAN port, so that a frame can reach every stage. The frame decoder
/// picks its addresses from the same lists, which is what lets a fuzzer find the interesting paths.
///
///     port 0  blue access, secured (MAC a, 10.1.0.10, 2001:db8:1::10), guarded (ingress icmp and tcp/22)
///     port 1  blue access, storm control at 2 flooded frames a second
///     port 2  red access
///     port 3  trunk: blue as VLAN 10, red as VLAN 20, green native
///     port 4  green access, offloads off (frames leave with their checksums complete, super-frames cut)
///     port 5  VXLAN: blue as VNI 5001, remote VTEP 192.0.2.2 (192.0.2.9 is a stranger)
///     router  blue 10.1.0.1 <-> green 10.3.0.1 (green's MTU 1000)
public enum FuzzWorld {
    public static let blue: UInt16 = 0, red: UInt16 = 1, green: UInt16 = 2
    public static let securedPort = 0, offloadsOffPort = 4, vxlanPort: UInt16 = 5
    public static let portCount = 6
    public static let maxPorts = 8

    public static let a = MACAddress(2, 0, 0, 0, 0, 0x0a), b = MACAddress(2, 0, 0, 0, 0, 0x0b)
    public static let c = MACAddress(2, 0, 0, 0, 0, 0x0c), d = MACAddress(2, 0, 0, 0, 0, 0x0d)
    public static let routerBlue = MACAddress(2, 0x5e, 0, 0, 0, 1), routerGreen = MACAddress(2, 0x5e, 0, 0, 0, 3)
    public static let ipA: UInt32 = 0x0A01_000A, ipB: UInt32 = 0x0A01_000B, ipGreen: UInt32 = 0x0A03_0014
    public static let gatewayBlue: UInt32 = 0x0A01_0001, gatewayGreen: UInt32 = 0x0A03_0001
    public static let ip6A = IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x10)
    public static let vtep: UInt32 = 0xC000_0202, stranger: UInt32 = 0xC000_0209, local: UInt32 = 0xC000_0201

    public static let macs: [MACAddress] = [a, b, c, d, routerBlue, routerGreen, .broadcast, MACAddress(0x33, 0x33, 0, 0, 0, 1),
                                            MACAddress(1, 0x80, 0xC2, 0, 0, 0), MACAddress(1, 0, 0x5E, 0, 0, 1), .zero]
    public static let ipv4s: [UInt32] = [ipA, ipB, ipGreen, gatewayBlue, gatewayGreen, 0, 0xFFFF_FFFF, 0x0A02_0005,
                                         0x0A01_00FF, 0xE000_0001, 0x0809_0A0B, 0x0A03_0063]
    public static let ipv6s: [IPv6Address] = [ip6A, .linkLocal(eui64: a), .unspecified, IPv6Address(high: 0xFF02_0000_0000_0000, low: 1),
                                              IPv6Address(high: 0x2001_0db8_0001_0000, low: 0x99), .linkLocal(eui64: c),
                                              IPv6Address(high: 0xFF02_0000_0000_0000, low: 0x1_FF00_0010)]

    public static func topology() -> Topology {
        let overlay = OverlayTable(port: vxlanPort, localAddress: local, learn: true, networks: [blue: (5001, [vtep])])
        return Topology(maxPorts: maxPorts,
                        membership: [0: .access(blue), 1: .access(blue), 2: .access(red),
                                     3: .trunk([10: blue, 20: red], native: green), 4: .access(green),
                                     Int(vxlanPort): PortMembership(untagged: nil, overlay: [blue])],
                        security: [securedPort: PortSecurityPolicy(addresses: [.init(mac: a, ipv4: [ipA], ipv6: [ip6A])])],
                        overlay: overlay)
    }

    public static func routing() -> Routing {
        Routing(routerNames: ["edge"], interfaces: [
            RouterInterface(router: 0, network: blue, address: gatewayBlue, prefixLength: 24, mac: routerBlue),
            RouterInterface(router: 0, network: green, address: gatewayGreen, prefixLength: 24, mac: routerGreen, mtu: 1000),
        ], routes: [[
            .init(prefix: 0x0A01_0000, length: 24, nextHop: .init(interface: 0, gateway: 0), source: .connected),
            .init(prefix: 0x0A03_0000, length: 24, nextHop: .init(interface: 1, gateway: 0), source: .connected),
            .init(prefix: 0x0809_0000, length: 16, nextHop: .init(interface: 1, gateway: 0x0A03_00FE), source: .static),
        ]])
    }

    /// Port 0 guarded: ingress icmp and tcp/22 from anywhere, tcp/23 from b denied, the implicit DHCP reply
    /// rule; egress open. `changed`: the rules after a change (icmp no longer allowed), which revokes
    /// connections the old rules allowed.
    public static func security(changed: Bool = false) -> SecurityTable {
        var builder = ACLClassifierBuilder()
        let ingress = builder.addPolicy(), egress = builder.addPolicy()
        builder.add(policy: ingress, match: ACLMatch(protocolNumber: IPProtocol.udp, ports: 68...68),
                    verdict: ACLVerdict(rule: ACLRuleID.implicitDHCP, priority: ACLRuleID.implicitPriority, deny: false))
        if !changed {
            builder.add(policy: ingress, match: ACLMatch(protocolNumber: IPProtocol.icmp),
                        verdict: ACLVerdict(rule: ACLRuleID.firstConfigured, priority: 0, deny: false))
        }
        builder.add(policy: ingress, match: ACLMatch(protocolNumber: IPProtocol.tcp, ports: 22...22),
                    verdict: ACLVerdict(rule: ACLRuleID.firstConfigured + 1, priority: 0, deny: false))
        builder.add(policy: ingress, match: ACLMatch(protocolNumber: IPProtocol.tcp, remoteAddress: ipB, remoteLength: 32, ports: 23...23),
                    verdict: ACLVerdict(rule: ACLRuleID.firstConfigured + 2, priority: 1, deny: true))
        var ingressPolicy = [Int32](repeating: -1, count: maxPorts), egressPolicy = [Int32](repeating: -1, count: maxPorts)
        ingressPolicy[securedPort] = Int32(ingress)
        egressPolicy[securedPort] = Int32(egress)
        var rules = ACLRuleInfo.builtIn
        for (i, text) in ["ingress icmp", "ingress tcp 22", "deny tcp 23 from b"].enumerated() {
            rules.append(ACLRuleInfo(id: UInt32(rules.count), group: "fuzz", index: i, direction: "ingress",
                                     action: i == 2 ? "deny" : "allow", priority: 0, text: text))
        }
        return SecurityTable(maxPorts: maxPorts, ingressPolicy: ingressPolicy, egressPolicy: egressPolicy,
                             classifier: builder.build(), rules: rules, groupsOfPort: [securedPort: ["fuzz"]],
                             signature: changed ? "fuzz-changed" : "fuzz")
    }
}
