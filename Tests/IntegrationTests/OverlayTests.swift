import Foundation
import Testing

/// Hosts as namespaces on a veth underlay, each with its own swiveld (own socket, no state file) and
/// workload namespaces behind veths inside the host namespace. Tenants use the same addresses on
/// purpose: only the VNI keeps them apart.
final class OverlayLab {
    let lab = Lab()
    var tag: String { lab.tag }
    var daemons: [String: Process] = [:]
    let underlay: Int

    init() { underlay = lab.subnet }

    func host(_ h: String) -> String { "\(tag)h\(h)" }
    func socket(_ h: String) -> String { "/tmp/\(tag)\(h).sock" }
    func log(_ h: String) -> String { "/tmp/\(tag)\(h)-swiveld.log" }
    /// The underlay address of host A, B, C…: 192.168.<subnet>.1, .2, .3.
    func vtep(_ h: String) -> String { "192.168.\(underlay).\(Int(h.unicodeScalars.first!.value) - 64)" }
    func workload(_ name: String) -> String { "\(tag)\(name)" }

    /// Host namespaces on one underlay: a bridge-free chain is enough for two; with three, a Linux bridge
    /// in the first host's namespace would be a switch of its own, so hosts meet on a bridge in `<tag>ul`.
    func addHosts(_ names: [String], mtu: Int = 1500) throws {
        try Shell.run("ip netns add \(tag)ul && ip -n \(tag)ul link set lo up && ip -n \(tag)ul link add br0 type bridge && ip -n \(tag)ul link set br0 up")
        lab.namespaces.append("\(tag)ul")
        for h in names {
            try Shell.run("ip netns add \(host(h)) && ip -n \(host(h)) link set lo up")
            lab.namespaces.append(host(h))
            // The switch ends of workload veths stay silent (no IPv6 router solicitations of their own).
            try Shell.run("ip netns exec \(host(h)) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
            try Shell.run("ip -n \(tag)ul link add u\(h) mtu \(mtu) type veth peer name underlay netns \(host(h)) mtu \(mtu)")
            try Shell.run("ip -n \(tag)ul link set u\(h) master br0 up")
            try Shell.run("ip -n \(host(h)) addr add \(vtep(h))/24 dev underlay && ip -n \(host(h)) link set underlay up")
        }
    }

    /// A workload namespace behind a veth whose switch end (`<tag><name>`) is in host `h`'s namespace.
    func addWorkload(_ name: String, on h: String, address: String, gateway: String? = nil, mtu: Int = 1500) throws {
        let ns = workload(name)
        try Shell.run("ip netns add \(ns) && ip -n \(ns) link set lo up")
        lab.namespaces.append(ns)
        try Shell.run("ip -n \(host(h)) link add \(ns) type veth peer name eth0 netns \(ns)")
        try Shell.run("ip -n \(host(h)) link set \(ns) up && ip -n \(ns) link set eth0 mtu \(mtu) up && ip -n \(ns) addr add \(address)/24 dev eth0")
        try Shell.run("ip netns exec \(ns) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1")
        if let gateway { try Shell.run("ip -n \(ns) route add default via \(gateway)") }
    }

    func startSwitch(on h: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", host(h), Binaries.swiveld] + arguments + ["--socket", socket(h), "--state-file", "none"]
        _ = FileManager.default.createFile(atPath: log(h), contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log(h)))
        p.standardOutput = out
        p.standardError = out
        try p.run()
        daemons[h] = p
        try waitFor("swiveld on host \(h)") { FileManager.default.fileExists(atPath: socket(h)) || !p.isRunning }
        guard p.isRunning else { throw Shell.Failure("swiveld on \(h) exited: \(logText(h))") }
    }

    func logText(_ h: String) -> String { (try? String(contentsOfFile: log(h), encoding: .utf8)) ?? "" }

    func ctl(_ h: String, _ args: String, check: Bool = true) throws -> Shell.Result {
        try Shell.run("\(Binaries.swivelctl) \(args) --socket \(socket(h))", check: check)
    }

    func json(_ h: String, _ args: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try ctl(h, args + " --json").out.utf8))
    }

    func drops(_ h: String, port: String) throws -> [String: Int] {
        let ports = try json(h, "port show") as? [[String: Any]] ?? []
        let doc = ports.first { $0["name"] as? String == port }
        return doc?["drops"] as? [String: Int] ?? [:]
    }

    func inNS(_ name: String, _ command: String) throws -> Shell.Result {
        try Shell.run("ip netns exec \(workload(name)) \(command)", check: false)
    }

    func ping(_ from: String, _ to: String, count: Int = 3, extra: String = "") throws -> Shell.Result {
        try inNS(from, "ping -c \(count) -i 0.2 -W 2 \(extra) \(to)")
    }

    func rxPackets(_ name: String) throws -> Int {
        Int(try inNS(name, "cat /sys/class/net/eth0/statistics/rx_packets").out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func mac(_ name: String) throws -> String {
        try inNS(name, "cat /sys/class/net/eth0/address").out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Open vSwitch's userspace datapath as host `h`'s VTEP, run in that namespace with a database of its
    /// own: br-phy holds the underlay (and the VTEP address), br-int the VXLAN port and the workload's veth
    /// end (`<tag><workload>`), as OVS's userspace tunnelling wants it.
    var ovsDirectory: String { "/tmp/\(tag)-ovs" }
    func startOVS(on h: String, vni: Int, remote: String, workload: String) throws {
        let d = ovsDirectory, ns = host(h)
        try Shell.run("mkdir -p \(d) && ovsdb-tool create \(d)/conf.db /usr/share/openvswitch/vswitch.ovsschema")
        try detached("ip netns exec \(ns) ovsdb-server \(d)/conf.db --remote=punix:\(d)/db.sock --pidfile=\(d)/ovsdb.pid --unixctl=\(d)/ovsdb.ctl --log-file=\(d)/ovsdb.log -vconsole:off --detach --no-chdir")
        let vsctl = "ovs-vsctl --db=unix:\(d)/db.sock --timeout=20"
        try Shell.run("\(vsctl) --no-wait init")
        try detached("ip netns exec \(ns) ovs-vswitchd unix:\(d)/db.sock --pidfile=\(d)/vswitchd.pid --unixctl=\(d)/vswitchd.ctl --log-file=\(d)/vswitchd.log -vconsole:off --detach --no-chdir")
        try Shell.run("ip -n \(ns) addr flush dev underlay")
        try Shell.run("\(vsctl) add-br br-phy -- set bridge br-phy datapath_type=netdev -- add-port br-phy underlay")
        try Shell.run("ip -n \(ns) addr add \(vtep(h))/24 dev br-phy && ip -n \(ns) link set br-phy up")
        try Shell.run("\(vsctl) add-br br-int -- set bridge br-int datapath_type=netdev")
        try Shell.run("\(vsctl) add-port br-int vx1 -- set interface vx1 type=vxlan options:remote_ip=\(remote) options:local_ip=\(vtep(h)) options:key=\(vni)")
        try Shell.run("\(vsctl) add-port br-int \(self.workload(workload))")
    }

    /// Starts a daemon that detaches itself. It must inherit none of our descriptors: Foundation's Process
    /// (and `Shell.run`'s pipes) would wait for it to let go of them, forever. Python's subprocess closes
    /// every descriptor above 2 in the child.
    func detached(_ command: String) throws {
        try Shell.run("/usr/bin/python3 -c 'import subprocess, sys; d = subprocess.DEVNULL; sys.exit(subprocess.call(sys.argv[1], shell=True, stdin=d, stdout=d, stderr=d))' '\(command)'")
    }

    func cleanup() {
        let d = ovsDirectory
        _ = try? Shell.run("for p in \(d)/vswitchd.pid \(d)/ovsdb.pid; do [ -f $p ] && kill -9 $(cat $p); done; rm -rf \(d)", check: false)
        for p in daemons.values where p.isRunning {
            p.terminate()
            let deadline = Date().addingTimeInterval(10)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        for h in daemons.keys {
            try? FileManager.default.removeItem(atPath: socket(h))
            try? FileManager.default.removeItem(atPath: log(h))
        }
        lab.cleanup()
    }
}

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct OverlayIntegrationTests {
    /// Both hosts carry blue (VNI 5001) and red (VNI 5002); workloads b1, r1 on A and b2, r2 on B, with
    /// the same addresses in both tenants.
    func twoHosts(_ o: OverlayLab, learn: Bool = true, extraA: [String] = []) throws -> (String, String) {
        try o.addHosts(["A", "B"])
        let net = "10.\(o.underlay).0"
        try o.addWorkload("b1", on: "A", address: "\(net).1")
        try o.addWorkload("r1", on: "A", address: "\(net).1")
        try o.addWorkload("b2", on: "B", address: "\(net).2")
        try o.addWorkload("r2", on: "B", address: "\(net).2")
        for (h, peer, b, r) in [("A", "B", "b1", "r1"), ("B", "A", "b2", "r2")] {
            try o.startSwitch(on: h, [
                "--overlay", "local_ip=\(o.vtep(h)),device=underlay,learn=\(learn)",
                "--network", "blue,vni=5001,remote_vteps=\(o.vtep(peer))",
                "--network", "red,vni=5002,remote_vteps=\(o.vtep(peer))",
                "--port", "afpacket:\(o.workload(b)),network=blue",
                "--port", "afpacket:\(o.workload(r)),network=red",
            ] + (h == "A" ? extraA : []))
        }
        return ("\(net).1", "\(net).2")
    }

    /// Host A (Swivel, workload b1 at .1 on blue, VNI 5001, MTU 1450) and host `peer` on the underlay,
    /// which the test makes another kind of VTEP. Returns the workloads' /24 prefix ("10.x.0").
    func swivelHostBeside(_ o: OverlayLab, peer: String) throws -> String {
        try o.addHosts(["A", peer])
        let net = "10.\(o.underlay).0"
        try o.addWorkload("b1", on: "A", address: "\(net).1", mtu: 1450)
        try o.startSwitch(on: "A", [
            "--overlay", "local_ip=\(o.vtep("A")),device=underlay",
            "--network", "blue,vni=5001,remote_vteps=\(o.vtep(peer))",
            "--port", "afpacket:\(o.workload("b1")),network=blue",
        ])
        return net
    }

    @Test func tenantsOnTwoHostsReachTheirOwnNetworkOnly() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        let (_, two) = try twoHosts(o)
        #expect(try o.ping("b1", two).status == 0, "blue A -> blue B\n\(o.logText("A"))")
        #expect(try o.ping("r1", two).status == 0, "red A -> red B")
        // The same address answered from two different machines: each tenant reached its own.
        let blueNeighbour = try o.inNS("b1", "ip neigh show \(two)").out
        let redNeighbour = try o.inNS("r1", "ip neigh show \(two)").out
        let b2mac = try o.mac("b2"), r2mac = try o.mac("r2")
        #expect(blueNeighbour.contains(b2mac) && redNeighbour.contains(r2mac), "\(blueNeighbour) / \(redNeighbour)")

        // Red B hears nothing of blue's traffic (broadcast ARP included). Red's own neighbours are pinned,
        // so red itself stays silent (no ARP probes) while blue talks.
        try Shell.run("ip -n \(o.workload("r1")) neigh replace \(two) lladdr \(r2mac) dev eth0 nud permanent")
        try Shell.run("ip -n \(o.workload("r2")) neigh replace 10.\(o.underlay).0.1 lladdr \(try o.mac("r1")) dev eth0 nud permanent")
        usleep(300_000)
        _ = try o.inNS("b1", "ip neigh flush dev eth0")
        let before = try o.rxPackets("r2")
        #expect(try o.ping("b1", two, count: 5).status == 0)
        #expect(try o.rxPackets("r2") == before, "no blue frame reaches red")

        // Host A learned b2's MAC behind B's VTEP, in blue only.
        let fdb = try o.json("A", "fdb show") as? [String: Any]
        let entries = fdb?["entries"] as? [[String: Any]] ?? []
        let b2 = entries.first { $0["mac"] as? String == b2mac && $0["network"] as? String == "blue" }
        #expect(b2?["port"] as? String == "vxlan" && b2?["remote"] as? String == o.vtep("B"), "\(entries)")

        // overlay show: the VTEP, both networks with their VNIs and B, and the remote MACs behind B.
        let overlay = try o.json("A", "overlay show") as? [String: Any]
        let networks = overlay?["networks"] as? [[String: Any]] ?? []
        #expect(overlay?["state"] as? String == "up" && overlay?["inner_mtu"] as? Int == 1450 && overlay?["local_ip"] as? String == o.vtep("A"))
        #expect(Set(networks.compactMap { $0["vni"] as? Int }) == [5001, 5002]
                && networks.allSatisfy { ($0["remote_vteps"] as? [String]) == [o.vtep("B")] && ($0["remote_macs"] as? Int ?? 0) >= 1 },
                "\(networks)")
        let vteps = overlay?["vteps"] as? [[String: Any]] ?? []
        #expect(vteps.count == 1 && vteps.first?["vtep"] as? String == o.vtep("B") && (vteps.first?["macs"] as? Int ?? 0) >= 2, "\(vteps)")

        // Counters and flows show the encapsulation.
        let vxlan = (try o.json("A", "port show") as? [[String: Any]] ?? []).first { $0["name"] as? String == "vxlan" }
        #expect((vxlan?["rx_packets"] as? Int ?? 0) > 0 && (vxlan?["tx_packets"] as? Int ?? 0) > 0, "\(String(describing: vxlan))")
        let flows = try o.ctl("A", "flows dump").out
        #expect(flows.contains("vxlan") && flows.contains(o.vtep("B")), "\(flows)")

        // A trace of a frame for b2 names the VTEP it is encapsulated to.
        let trace = try o.ctl("A", "trace --port \(o.workload("b1")) 'eth_src=\(try o.mac("b1")),eth_dst=\(try o.mac("b2")),ip_src=10.\(o.underlay).0.1,ip_dst=\(two),icmp'").out
        #expect(trace.contains("vxlan-encap") && trace.contains("vni 5001") && trace.contains(o.vtep("B")), "\(trace)")
    }

    @Test func framesUpToTheInnerMTUPassAndLargerOnesAreDroppedAndCounted() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        let (_, two) = try twoHosts(o)
        #expect(try o.ping("b1", two).status == 0)
        // Underlay MTU 1500: the inner MTU is 1450 (1422 bytes of ICMP data + 28 of headers).
        #expect(try o.ping("b1", two, count: 2, extra: "-M do -s 1422").status == 0, "an inner packet of exactly 1450 bytes")
        #expect(try o.ping("b1", two, count: 2, extra: "-M do -s 1423").status != 0, "1451 bytes cannot cross")
        let drops = try o.drops("A", port: "vxlan")
        #expect(drops["overlay-mtu-exceeded"] == 2, "\(drops)")
    }

    @Test func withLearningOffUnknownVTEPsAreDroppedAndStaticEntriesSteerUnicast() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        let (_, two) = try twoHosts(o, learn: false)
        #expect(try o.ping("b1", two).status == 0, "floods to the configured VTEP reach it")
        let b2mac = try o.mac("b2")
        #expect(try o.ctl("A", "fdb show --network blue").out.contains(b2mac) == false, "nothing learned with learn=false")
        // A static entry: b2 behind B. Known unicast now goes to B alone; a wrong VTEP breaks it (proof it is used).
        _ = try o.ctl("A", "fdb add --network blue --mac \(try o.mac("b2")) --remote \(o.vtep("B"))")
        #expect(try o.ping("b1", two).status == 0)
        _ = try o.ctl("A", "fdb add --network blue --mac \(try o.mac("b2")) --remote 192.168.\(o.underlay).77")
        #expect(try o.ping("b1", two, count: 2).status != 0, "unicast now goes to a VTEP that does not exist")
        _ = try o.ctl("A", "fdb del --network blue --mac \(try o.mac("b2"))")
        // A VTEP not in red's list (C, a raw sender on the underlay) is refused by name.
        try Shell.run("ip -n \(o.host("B")) addr add 192.168.\(o.underlay).3/24 dev underlay")
        let send = "/usr/bin/python3 \(Binaries.helpers)/vxlan.py send --src 192.168.\(o.underlay).3 --dst \(o.vtep("A")) --vni 5002"
        try Shell.run("ip netns exec \(o.host("B")) \(send) --count 3")
        try waitFor("vxlan-unknown-vtep drops") { try o.drops("A", port: "vxlan")["vxlan-unknown-vtep"] == 3 }
    }

    @Test func anOverlayAddressNotOnTheHostIsAnErrorOnTheCommandLineAndAWaitInAConfigFile() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        try o.addHosts(["A"])
        let missing = "192.168.\(o.underlay).9"
        let cli = try Shell.run("timeout 20 ip netns exec \(o.host("A")) \(Binaries.swiveld) --overlay local_ip=\(missing) --network blue,vni=5001 --socket /tmp/\(o.tag)x.sock --state-file none", check: false)
        #expect(cli.status == 2, "\(cli.status)")
        #expect(cli.err.contains("bind \(missing):4789") && cli.err.contains("Cannot assign requested address"), "\(cli.err)")

        let config = try o.lab.writeConfig("""
            overlay: {local_ip: \(missing), device: underlay}
            networks:
              - {name: blue, vni: 5001, remote_vteps: [192.168.\(o.underlay).2]}
            """)
        try o.startSwitch(on: "A", ["--config", config])
        try waitFor("the vxlan port to report why it is down") {
            (try o.json("A", "port show") as? [[String: Any]] ?? []).contains {
                $0["name"] as? String == "vxlan" && ($0["state"] as? String ?? "").contains("Cannot assign requested address")
            }
        }
        try Shell.run("ip -n \(o.host("A")) addr add \(missing)/24 dev underlay")
        try waitFor("the vxlan port to bind once the address exists") {
            (try o.json("A", "port show") as? [[String: Any]] ?? []).contains { $0["name"] as? String == "vxlan" && $0["state"] as? String == "up" }
        }
        let mtu = (try o.json("A", "port show") as? [[String: Any]] ?? []).first { $0["name"] as? String == "vxlan" }?["mtu"] as? Int
        #expect(mtu == 1450, "the inner MTU of a 1500-byte underlay")
    }

    @Test func malformedAndUnknownVNIDatagramsAreDroppedByName() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        _ = try twoHosts(o)
        let send = "ip netns exec \(o.host("B")) /usr/bin/python3 \(Binaries.helpers)/vxlan.py send --src \(o.vtep("B")) --dst \(o.vtep("A"))"
        try Shell.run("\(send) --vni 7777 --count 2")
        try Shell.run("\(send) --vni 5001 --flags 0 --count 1")
        try Shell.run("\(send) --vni 5001 --short --count 1")
        try waitFor("all four drops") {
            let d = try o.drops("A", port: "vxlan")
            return d["vxlan-unknown-vni"] == 2 && d["vxlan-bad-flags"] == 1 && d["vxlan-malformed"] == 1
        }
        #expect(o.daemons["A"]?.isRunning == true)
    }

    @Test func aRouterOnHostARoutesBetweenALocalNetworkAndTheOverlay() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        try o.addHosts(["A", "B"])
        let blue = "10.\(o.underlay).0", green = "10.\(o.underlay).3"
        try o.addWorkload("g1", on: "A", address: "\(green).10", gateway: "\(green).254")
        try o.addWorkload("b2", on: "B", address: "\(blue).2", gateway: "\(blue).254")
        try o.startSwitch(on: "A", [
            "--overlay", "local_ip=\(o.vtep("A")),device=underlay",
            "--network", "blue,vni=5001,remote_vteps=\(o.vtep("B")),subnet=\(blue).0/24,gateway=\(blue).254",
            "--network", "green,subnet=\(green).0/24,gateway=\(green).254",
            "--router", "edge,networks=blue+green",
            "--port", "afpacket:\(o.workload("g1")),network=green",
        ])
        try o.startSwitch(on: "B", [
            "--overlay", "local_ip=\(o.vtep("B")),device=underlay",
            "--network", "blue,vni=5001,remote_vteps=\(o.vtep("A"))",
            "--port", "afpacket:\(o.workload("b2")),network=blue",
        ])
        let reply = try o.ping("g1", "\(blue).2")
        #expect(reply.status == 0 && reply.out.contains("ttl=63"), "routed on A, then carried to B: \(reply.out)\n\(o.logText("A"))")
        #expect(try o.ping("b2", "\(green).10").status == 0, "and back: B's workload reaches A's router over the overlay")
        // The router's blue interface takes its MTU from the overlay: 1450.
        let big = try o.ping("g1", "\(blue).2", count: 1, extra: "-M do -s 1423")
        #expect(big.out.contains("mtu = 1450"), "ICMP fragmentation needed from the router: \(big.out)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/sbin/ovs-vswitchd"), "needs Open vSwitch (Scripts/setup-deps.sh installs it)"))
    func interoperatesWithOpenVSwitchVXLAN() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        let net = try swivelHostBeside(o, peer: "D")
        // OVS's userspace datapath takes no TCP segmentation offload by default: its workload sends plain frames.
        try o.addWorkload("o1", on: "D", address: "\(net).4", mtu: 1450)
        try Shell.run("ip netns exec \(o.workload("o1")) ethtool -K eth0 tso off gso off tx off")
        try o.startOVS(on: "D", vni: 5001, remote: o.vtep("A"), workload: "o1")

        #expect(try o.ping("b1", "\(net).4").status == 0, "Swivel -> OVS VXLAN\n\(o.logText("A"))")
        #expect(try o.ping("o1", "\(net).1").status == 0, "OVS VXLAN -> Swivel")
        let fdb = try o.ctl("A", "fdb show").out
        let o1 = try o.mac("o1")
        #expect(fdb.contains(o1) && fdb.contains(o.vtep("D")), "\(fdb)")
        let server = try startHelper(o.workload("o1"), "/usr/bin/python3 \(Binaries.helpers)/sg.py serve tcp:5602")
        defer { server.0.terminate() }
        let sent = try o.inNS("b1", "/usr/bin/python3 \(Binaries.helpers)/vxlan.py stream --host \(net).4 --port 5602 --bytes 4000000")
        #expect(sent.status == 0 && sent.out.contains("echoed=4000000 intact"), "\(sent.out)\(sent.err)")
    }

    @Test func securityGroupsGuardPortsAgainstTrafficFromTheOverlay() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        try o.addHosts(["A", "B"])
        let net = "10.\(o.underlay).0"
        try o.addWorkload("b1", on: "A", address: "\(net).1")
        try o.addWorkload("b3", on: "A", address: "\(net).3")
        try o.addWorkload("b2", on: "B", address: "\(net).2")
        try o.startSwitch(on: "A", [
            "--overlay", "local_ip=\(o.vtep("A")),device=underlay",
            "--network", "blue,vni=5001,remote_vteps=\(o.vtep("B"))",
            "--port", "afpacket:\(o.workload("b1")),network=blue", "--port", "afpacket:\(o.workload("b3")),network=blue",
        ])
        // On B, b2 admits ping from 10.x.0.1 only; the rest of blue (b3 on A) is refused by default.
        let config = try o.lab.writeConfig("""
            overlay: {local_ip: \(o.vtep("B")), device: underlay}
            networks:
              - {name: blue, vni: 5001, remote_vteps: [\(o.vtep("A"))]}
            security_groups:
              - name: db
                rules:
                  - {direction: ingress, protocol: icmp, remote: \(net).1/32}
            ports:
              - name: b2
                kind: afpacket
                device: \(o.workload("b2"))
                network: blue
                addresses: [{mac: "\(try o.mac("b2"))", ips: [\(net).2]}]
                security_groups: [db]
            """, name: "hostB")
        try o.startSwitch(on: "B", ["--config", config])
        #expect(try o.ping("b1", "\(net).2").status == 0, "allowed by the rule, replies tracked back\n\(o.logText("B"))")
        #expect(try o.ping("b3", "\(net).2", count: 2).status != 0, "not allowed: ingress default deny")
        let drops = try o.drops("B", port: "b2")
        #expect((drops["acl-default-deny"] ?? 0) >= 2, "\(drops)")
        let conntrack = try o.ctl("B", "conntrack show --port b2").out
        #expect(conntrack.contains("\(net).1") && !conntrack.contains("\(net).3 "), "\(conntrack)")
    }

    @Test func interoperatesWithTheLinuxKernelVXLANDevice() throws {
        let o = OverlayLab()
        defer { o.cleanup() }
        let net = try swivelHostBeside(o, peer: "C")
        // Host C: the kernel's VTEP on a bridge with a workload, as a Linux host would be set up.
        let c = o.host("C")
        // The underlay veth keeps its offloads: the kernel hands Swivel whole 64 KiB VXLAN super-packets with
        // partial inner checksums (no wire in between), which Swivel must take as GSO super-frames.
        try Shell.run("ip -n \(c) link add vx0 type vxlan id 5001 dstport 4789 local \(o.vtep("C")) remote \(o.vtep("A")) dev underlay")
        try Shell.run("ip -n \(c) link add br0 type bridge && ip -n \(c) link set vx0 master br0 && ip -n \(c) link set vx0 up && ip -n \(c) link set br0 up")
        let ns = o.workload("k1")
        try Shell.run("ip netns add \(ns) && ip -n \(ns) link set lo up")
        o.lab.namespaces.append(ns)
        try Shell.run("ip -n \(c) link add \(ns) type veth peer name eth0 netns \(ns) && ip -n \(c) link set \(ns) master br0 up")
        try Shell.run("ip -n \(ns) link set eth0 mtu 1450 up && ip -n \(ns) addr add \(net).3/24 dev eth0")

        #expect(try o.ping("b1", "\(net).3").status == 0, "Swivel -> kernel VTEP\n\(o.logText("A"))")
        #expect(try o.ping("k1", "\(net).1").status == 0, "kernel VTEP -> Swivel")
        // Each side learned the other's workload behind the other's VTEP.
        let kernelFDB = try Shell.run("bridge -n \(c) fdb show dev vx0").out
        let b1 = try o.mac("b1"), k1 = try o.mac("k1")
        #expect(kernelFDB.contains(b1) && kernelFDB.contains("dst \(o.vtep("A"))"), "\(kernelFDB)")
        let fdb = try o.ctl("A", "fdb show").out
        #expect(fdb.contains(k1) && fdb.contains(o.vtep("C")), "\(fdb)")
        // TCP both ways through the kernel's VTEP, with the workload's offloads on (Swivel segments for the underlay).
        let server = try startHelper(ns, "/usr/bin/python3 \(Binaries.helpers)/sg.py serve tcp:5601")
        defer { server.0.terminate() }
        let sent = try o.inNS("b1", "/usr/bin/python3 \(Binaries.helpers)/vxlan.py stream --host \(net).3 --port 5601 --bytes 4000000")
        #expect(sent.status == 0 && sent.out.contains("echoed=4000000 intact"), "\(sent.out)\(sent.err)")
        let drops = try o.drops("A", port: "vxlan")
        #expect(drops.isEmpty, "no datagram lost on the way in: \(drops)")
    }
}
