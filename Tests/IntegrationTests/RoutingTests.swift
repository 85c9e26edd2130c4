import Foundation
import Testing

/// Routers in the switch between real namespaces: ping across subnets, ICMP errors as the kernel's
/// ping reports them, static routes to a router namespace, malformed packets, two tenants with the same
/// addresses.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct RoutingTests {
    /// Namespace `i` on a veth with `address/24` and a default route via `gateway`.
    func host(_ lab: Lab, _ i: Int, _ address: String, gateway: String) throws {
        try lab.addNamespace(i)
        try Shell.run("ip link add \(lab.vethPort(i)) type veth peer name eth0 netns \(lab.ns(i))")
        lab.links.append(lab.vethPort(i))
        try Shell.run("ip link set \(lab.vethPort(i)) up && ip -n \(lab.ns(i)) link set eth0 up")
        try Shell.run("ip -n \(lab.ns(i)) addr add \(address)/24 dev eth0 && ip -n \(lab.ns(i)) route add default via \(gateway)")
        try Shell.run("ip netns exec \(lab.ns(i)) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
    }

    func run(_ lab: Lab, _ i: Int, _ command: String) throws -> Shell.Result {
        try Shell.run("ip netns exec \(lab.ns(i)) \(command)", check: false)
    }

    @Test func routesBetweenSubnetsAndAnswersWithICMP() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try host(lab, 1, "10.1.0.10", gateway: "10.1.0.1")
        try host(lab, 2, "10.2.0.10", gateway: "10.2.0.1")
        // Host 3 is a router namespace on red (10.2.0.254) in front of 10.9.0.0/24 (its loopback holds 10.9.0.1).
        try host(lab, 3, "10.2.0.254", gateway: "10.2.0.1")
        try Shell.run("ip -n \(lab.ns(3)) addr add 10.9.0.1/24 dev lo")
        let config = try lab.writeConfig("""
            networks:
              - {name: blue, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}
              - {name: red, mtu: 1000, subnets: [{cidr: 10.2.0.0/24, gateway: 10.2.0.1}]}
            routers:
              - name: edge
                networks: [blue, red]
                routes: [{to: 10.9.0.0/16, via: 10.2.0.254}]
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: red}
              - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: red}
            """)
        try lab.startSwitch(["--config", config])

        #expect(try run(lab, 1, "ping -c 2 -i 0.2 -W 2 10.1.0.1").status == 0, "the gateway answers")
        #expect(try run(lab, 1, "ping -c 3 -i 0.2 -W 2 10.2.0.10").status == 0, "across subnets")
        let reply = try run(lab, 1, "ping -c 1 -W 2 10.2.0.10").out
        #expect(reply.contains("ttl=63"), "one router hop: \(reply)")
        let ttl = try run(lab, 1, "ping -c 1 -W 2 -t 1 10.2.0.10").out
        #expect(ttl.contains("From 10.1.0.1") && ttl.contains("Time to live exceeded"), "\(ttl)")
        let net = try run(lab, 1, "ping -c 1 -W 2 10.77.0.1").out
        #expect(net.contains("From 10.1.0.1") && net.contains("Destination Net Unreachable"), "\(net)")
        let mtu = try run(lab, 1, "ping -c 1 -W 2 -M do -s 1200 10.2.0.10").out
        #expect(mtu.contains("Frag needed") && mtu.contains("mtu = 1000"), "\(mtu)")
        let host = try run(lab, 1, "ping -c 1 -W 5 10.2.0.99").out
        #expect(host.contains("Destination Host Unreachable"), "three ARP requests, no answer: \(host)")

        // The static route: 10.9.0.1 behind the router namespace.
        #expect(try run(lab, 1, "ping -c 2 -i 0.2 -W 2 10.9.0.1").status == 0, "via the static route")
        let routes = try lab.ctl("route show")
        #expect(routes.contains("10.9.0.0/16") && routes.contains("10.2.0.254") && routes.contains("static"), "\(routes)")
        // Routes change at run time: removed, 10.9.0.1 is unrouted; added back, it is reachable again.
        _ = try lab.ctl("route del --router edge --to 10.9.0.0/16")
        #expect(try run(lab, 1, "ping -c 1 -W 2 10.9.0.1").out.contains("Destination Net Unreachable"))
        _ = try lab.ctl("route add --router edge --to 10.9.0.0/16 --via 10.2.0.254")
        #expect(try run(lab, 1, "ping -c 2 -i 0.2 -W 2 10.9.0.1").status == 0, "the route is back")
        let refused = try Shell.run("\(Binaries.swivelctl) route add --router edge --to 10.8.0.0/16 --via 10.5.0.1 --socket \(lab.socket)", check: false)
        #expect(refused.status != 0 && refused.err.contains("not on any subnet"), "\(refused.err)")
        // The next hop gets a new MAC and announces it: traffic follows at once.
        let newMAC = "02:99:00:00:00:54"
        try Shell.run("ip -n \(lab.ns(3)) link set eth0 address \(newMAC)")
        _ = try Shell.run("ip netns exec \(lab.ns(3)) \(Binaries.helpers)/routed.py garp eth0 10.2.0.254")
        #expect(try lab.ctl("neighbor show").contains(newMAC))
        #expect(try run(lab, 1, "ping -c 2 -i 0.2 -W 2 10.9.0.1").status == 0, "after the MAC change")

        // Malformed IPv4 to the router: each dropped under its reason, nothing forwarded.
        let routerMAC = try Shell.run("ip -n \(lab.ns(1)) neigh show 10.1.0.1").out.split(separator: " ")
            .drop { $0 != "lladdr" }.dropFirst().first.map(String.init) ?? ""
        #expect(routerMAC.hasPrefix("02:5e:"), "the router's MAC, as host 1 resolved it: \(routerMAC)")
        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/bin/sh")
        let captured = URL(fileURLWithPath: "/tmp/\(lab.tag)-capture.out")
        capture.arguments = ["-c", "ip netns exec \(lab.ns(2)) timeout 4 tcpdump -ni eth0 -c 1 'icmp and icmp[4:2] = 0x4242' > \(captured.path) 2>&1"]
        try capture.run()
        defer { if capture.isRunning { capture.terminate() }; try? FileManager.default.removeItem(at: captured) }
        try waitFor("tcpdump in host 2") { ((try? String(contentsOf: captured, encoding: .utf8)) ?? "").contains("listening") }
        _ = try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/routed.py malformed eth0 \(routerMAC) 10.1.0.10 10.2.0.10")
        try waitFor("the malformed packets to be counted") {
            ((try lab.portDoc("p1")["drops"] as? [String: Int])?["ip-bad-length"] ?? 0) == 1
        }
        let drops = try #require(try lab.portDoc("p1")["drops"] as? [String: Int])
        #expect(drops["ip-bad-checksum"] == 1 && drops["ip-bad-header"] == 1 && drops["ip-bad-length"] == 1, "\(drops)")
        #expect(drops["ttl-exceeded"] == 1 && drops["no-route"] == 2 && drops["fragmentation-needed"] == 1 && drops["host-unreachable"] == 1)
        capture.waitUntilExit()
        let seen = try String(contentsOf: captured, encoding: .utf8)
        #expect(seen.contains("0 packets captured"), "nothing malformed reached red: \(seen)")
    }

    @Test func twoTenantsWithTheSameAddressesStayApart() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        // Tenant 1: hosts 1 (blue1) and 2 (red1); tenant 2: hosts 3 (blue2) and 4 (red2); same addresses.
        try host(lab, 1, "10.1.0.10", gateway: "10.1.0.1")
        try host(lab, 2, "10.2.0.10", gateway: "10.2.0.1")
        try host(lab, 3, "10.1.0.10", gateway: "10.1.0.1")
        try host(lab, 4, "10.2.0.10", gateway: "10.2.0.1")
        let config = try lab.writeConfig("""
            networks:
              - {name: blue1, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}
              - {name: red1, subnets: [{cidr: 10.2.0.0/24, gateway: 10.2.0.1}]}
              - {name: blue2, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}
              - {name: red2, subnets: [{cidr: 10.2.0.0/24, gateway: 10.2.0.1}]}
            routers:
              - {name: t1, networks: [blue1, red1]}
              - {name: t2, networks: [blue2, red2]}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue1}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: red1}
              - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: blue2}
              - {name: p4, kind: afpacket, device: \(lab.vethPort(4)), network: red2}
            """)
        try lab.startSwitch(["--config", config])
        #expect(try run(lab, 1, "ping -c 3 -i 0.2 -W 2 10.2.0.10").status == 0)
        let tenant2Before = try lab.portDoc("p4")["tx_packets"] as? Int ?? -1
        #expect(try run(lab, 1, "ping -c 3 -i 0.2 -W 2 10.2.0.10").status == 0)
        #expect(try lab.portDoc("p4")["tx_packets"] as? Int == tenant2Before, "tenant 1's pings never reach tenant 2")
        #expect(try run(lab, 3, "ping -c 3 -i 0.2 -W 2 10.2.0.10").status == 0)
        let neighbors = try JSONSerialization.jsonObject(with: Data(try lab.ctl("neighbor show --json").utf8)) as? [[String: Any]] ?? []
        let red1 = neighbors.first { $0["router"] as? String == "t1" && $0["address"] as? String == "10.2.0.10" }?["mac"] as? String
        let red2 = neighbors.first { $0["router"] as? String == "t2" && $0["address"] as? String == "10.2.0.10" }?["mac"] as? String
        let mac2 = try lab.mac(2), mac4 = try lab.mac(4)
        #expect(red1 == mac2 && red2 == mac4, "each router resolved its own tenant's host: \(neighbors)")
    }
}
