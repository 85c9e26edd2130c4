import Foundation
import Testing

/// Networks blue (VLAN 10) and red (VLAN 20) with the same subnet, even the same address on one host
/// each, and a trunk to a raw-socket tool in a third namespace. Nothing may cross between the networks.
@Suite(.serialized) struct VlanTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var trunkOnTap: Bool
        var engine: String
        var toolOffload: Bool   // rxvlan/txvlan on the tool's interface
        var testDescription: String {
            "trunk on \(trunkOnTap ? "TAP" : "veth"), \(engine), tool vlan offload \(toolOffload ? "on" : "off")"
        }
    }

    static let variants = [
        Variant(trunkOnTap: false, engine: "ring", toolOffload: true),
        Variant(trunkOnTap: false, engine: "ring", toolOffload: false),
        Variant(trunkOnTap: false, engine: "mmsg", toolOffload: true),
        Variant(trunkOnTap: false, engine: "ring-v3", toolOffload: false),
        Variant(trunkOnTap: true, engine: "ring", toolOffload: true),
    ]

    struct Probe: Decodable {
        var arp_mac: String?
        var arp_vlan: Int?
        var arp_form: String?
        var echo_reply: Bool
        var echo_vlan: Int?
    }
    struct Watch: Decodable {
        var markers: [String: Int]
        var sources: [String]
    }

    @Test(arguments: variants) func networksStayApartAndTheTrunkCarriesBoth(_ v: Variant) throws {
        let lab = Lab()
        defer { lab.cleanup() }
        // Hosts 1, 2 in blue; 4, 5 in red; host 4 has host 1's address. Host 3 is the trunk tool.
        for i in [1, 2, 4, 5] { try lab.addVethHost(i) }
        try Shell.run("ip -n \(lab.ns(4)) addr flush dev eth0 && ip -n \(lab.ns(4)) addr add \(lab.ip(1))/24 dev eth0")
        let trunkDevice: String
        if v.trunkOnTap {
            trunkDevice = lab.tapPort(3)
        } else {
            try lab.addNamespace(3)
            try Shell.run("ip link add \(lab.vethPort(3)) type veth peer name eth0 netns \(lab.ns(3))")
            lab.links.append(lab.vethPort(3))
            try Shell.run("ip link set \(lab.vethPort(3)) up && ip -n \(lab.ns(3)) link set eth0 up")
            let state = v.toolOffload ? "on" : "off"
            try Shell.run("ip netns exec \(lab.ns(3)) ethtool -K eth0 rxvlan \(state) txvlan \(state)")
            trunkDevice = lab.vethPort(3)
        }
        for i in [1, 2, 4, 5] + (v.trunkOnTap ? [] : [3]) {
            try Shell.run("ip netns exec \(lab.ns(i)) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
        }
        let config = try lab.writeConfig("""
            networks:
              - {name: blue, vlan: 10}
              - {name: red, vlan: 20}
            ports:
              - {name: b1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: b2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
              - {name: r1, kind: afpacket, device: \(lab.vethPort(4)), network: red}
              - {name: r2, kind: afpacket, device: \(lab.vethPort(5)), network: red}
              - {name: trunk, kind: \(v.trunkOnTap ? "tap" : "afpacket"), device: \(trunkDevice), trunk: [blue, red]}
            """)
        try lab.startSwitch(["--config", config, "--io-engine", v.engine])
        if v.trunkOnTap {
            try lab.addNamespace(3)
            try waitFor("TAP \(lab.tapPort(3)) to appear") { (try? Shell.run("ip link show \(lab.tapPort(3))"))?.status == 0 }
            try Shell.run("ip link set \(lab.tapPort(3)) netns \(lab.ns(3)) && ip -n \(lab.ns(3)) link set \(lab.tapPort(3)) name eth0")
            try Shell.run("ip netns exec \(lab.ns(3)) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
            try Shell.run("ip -n \(lab.ns(3)) link set eth0 up")
        }
        let blueMACs = try [1, 2].map { try lab.mac($0) }, redMACs = try [4, 5].map { try lab.mac($0) }

        // Captures in every host namespace while all the traffic below runs.
        let watchers = try [1, 2, 4, 5].map { i in (i, try startHelper(lab.ns(i), "\(Binaries.helpers)/vlan.py watch eth0 60")) }
        defer { for (_, w) in watchers where w.0.isRunning { w.0.terminate() } }

        // Pings inside each network work; across, nothing answers (host 4's twin address answers only in red).
        #expect(try lab.ping(from: 1, to: 2))
        #expect(try lab.ping(from: 5, to: 1), "10.x.0.1 in red is host 4")
        let neighbour = try Shell.run("ip -n \(lab.ns(5)) neigh show \(lab.ip(1))").out
        #expect(neighbour.contains(redMACs[0]) && !neighbour.contains(blueMACs[0]), "\(neighbour)")
        #expect(try !lab.ping(from: 1, to: 5, count: 2))
        #expect(try !lab.ping(from: 5, to: 2, count: 2))

        // Over the trunk: tagged 10 reaches blue's host 1, tagged 20 red's host 4, with replies tagged alike.
        func probe(_ vid: Int) throws -> Probe {
            let out = try Shell.run("ip netns exec \(lab.ns(3)) \(Binaries.helpers)/vlan.py probe eth0 \(vid) \(lab.ip(1))").out
            return try JSONDecoder().decode(Probe.self, from: Data(out.utf8))
        }
        let blue = try probe(10), red = try probe(20), other = try probe(30), untagged = try probe(0)
        #expect(blue.arp_mac == blueMACs[0] && blue.arp_vlan == 10 && blue.echo_reply && blue.echo_vlan == 10)
        #expect(red.arp_mac == redMACs[0] && red.arp_vlan == 20 && red.echo_reply && red.echo_vlan == 20)
        #expect(other.arp_mac == nil && untagged.arp_mac == nil, "VLAN 30 and untagged have no network on this trunk")
        // The tool's kernel strips the tag on receive whatever the offload setting (it untags in software):
        // the tool reads it out of band, as swiveld does on an AF_PACKET trunk; a TAP trunk gives swiveld
        // the tag inline.
        #expect(blue.arp_form == "aux")

        // Broadcast and unknown unicast markers, tagged per network, and every host's own chatter.
        _ = try Shell.run("ip netns exec \(lab.ns(3)) \(Binaries.helpers)/vlan.py markers eth0")
        for (i, w) in watchers {
            w.0.waitUntilExit()
            let text = try String(contentsOf: w.1, encoding: .utf8)
            try? FileManager.default.removeItem(at: w.1)
            let line = try #require(text.split(separator: "\n").last)
            let seen = try JSONDecoder().decode(Watch.self, from: Data(line.utf8))
            let isBlue = i < 3
            #expect(seen.markers == [isBlue ? "blue" : "red": 2], "host \(i) markers: \(seen.markers)")
            let foreign = Set(seen.sources).intersection(isBlue ? redMACs : blueMACs)
            #expect(foreign.isEmpty, "host \(i) saw frames from the other network: \(foreign)")
        }
        let ports = try lab.ctl("port show")
        #expect(ports.contains("trunk blue/10,red/20"), "\(ports)")
        let drops = try lab.ctl("drops --json")
        #expect(drops.contains("vlan-not-allowed"), "VLAN 30 and untagged frames are counted: \(drops)")
    }
}
