import Foundation
import Testing

/// What a tenant, a guest or an API caller may send: crafted frames are dropped under their names and
/// cross nothing, hostile API values get a 4xx and change nothing, a state file this version refuses stops
/// start-up unless recovery is asked for, and router-made frames reach guarded workloads.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct HostileInputTests {
    func curl(_ lab: Lab, _ method: String, _ path: String, body: String? = nil) throws -> (status: Int, body: String) {
        try lab.api(method, path, body: body)
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func hostileAPIRequestsGet4xxAndTheSwitchKeepsForwardingAndItsState() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.startWithVethHosts(1...2)
        try lab.quiet([1, 2])
        #expect(try lab.ping(from: 1, to: 2))
        // The socket was bound under swiveld's umask 077: never open to others, not even before its chmod.
        let mode = (try FileManager.default.attributesOfItem(atPath: lab.socket)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600, "socket mode \(String(mode, radix: 8))")
        let pid = try #require(lab.daemon?.processIdentifier)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("Umask:\t0077"), "\(status.split(separator: "\n").filter { $0.hasPrefix("Umask") })")
        let port = lab.vethPort(1)
        // Each of these stopped swiveld before (the first three) or reached the datapath or the state file.
        let hostile: [(String, String, String?, String?)] = [
            ("POST", "/v1/actions/trace", #"{"port": "\#(port)", "packet": "="}"#, nil),
            ("POST", "/v1/actions/trace", #"{"port": "\#(port)", "packet": ",=,=x"}"#, nil),
            ("GET", "/v1/capture?port=\(port)&duration=1e300", nil, nil),
            ("GET", "/v1/capture?port=\(port)&count=-5", nil, nil),
            ("PUT", "/v1/networks/x", #"{"name": "x", "vlan": 70000}"#, "networks.x.vlan"),
            ("PUT", "/v1/networks/x", #"{"name": "x", "vni": 16777216, "mtu": 10}"#, "networks.x.vni"),
            ("PUT", "/v1/networks/x", #"{"name": "x", "fdb": {"aging_seconds": 0}}"#, "networks.x.fdb.aging_seconds"),
            ("PUT", "/v1/ports/p9", #"{"name": "p9", "kind": "tap", "device": "t9", "addresses": [{"mac": "02-00-00-00-00-09"}]}"#, "ports.p9.addresses[0].mac"),
            ("PUT", "/v1/ports/p9", #"{"name": "p9", "kind": "tap", "device": "t9", "addresses": [{"mac": "02:00:00:00:00:09", "ips": ["10.0.0.9/24"]}]}"#, "ports.p9.addresses[0].ips[0]"),
            ("PUT", "/v1/ports/p9", #"{"name": "p9", "kind": "tap", "device": "../../x", "storm_control_pps": 0}"#, "ports.p9.device"),
            ("PUT", "/v1/ports/a%2Fb", #"{"name": "a/b", "kind": "tap", "device": "t9"}"#, nil),
            ("PUT", "/v1/security-groups/g", #"{"name": "g", "rules": [{"direction": "ingress", "protocol": "tcp", "ports": 70000}]}"#, "security_groups.g.rules[0].ports"),
            ("PUT", "/v1/config", #"{"overlay": {"local_ip": "192.0.2.1", "udp_port": 0}}"#, "overlay.udp_port"),
            ("GET", "/v1/state/conntrack?limit=-1", nil, nil),
            ("GET", "/v1/state/conntrack?limit=99999999999999999999", nil, nil),
            ("GET", "/v1/state/flows?after=x", nil, nil),
            ("PUT", "/v1/networks/y?dry_run=maybe", #"{"name": "y"}"#, nil),
        ]
        let before = try lab.ctl("config show")
        for (method, path, body, errorPath) in hostile {
            let r = try curl(lab, method, path, body: body)
            #expect((400..<500).contains(r.status), "\(method) \(path): \(r.status) \(r.body)")
            let error = json(r.body)["error"] as? [String: Any]
            #expect(error?["code"] as? String != nil, "\(method) \(path): no error code in \(r.body)")
            if let errorPath { #expect(error?["path"] as? String == errorPath, "\(method) \(path): \(r.body)") }
            #expect(lab.daemon?.isRunning == true, "swiveld died on \(method) \(path)")
        }
        #expect(try lab.ctl("config show") == before, "refused documents changed nothing")
        #expect(try lab.ping(from: 1, to: 2), "still forwarding")
        // A valid object after all that, and a restart on the state file it wrote: everything comes back.
        #expect(try curl(lab, "PUT", "/v1/networks/ok", body: #"{"name": "ok", "vlan": 42}"#).status == 200)
        let state = try lab.ctl("config show")
        #expect(lab.stopSwitch() == 0)
        try lab.startSwitch(["--port", "afpacket:\(lab.vethPort(1))", "--port", "afpacket:\(lab.vethPort(2))"])
        #expect(try lab.ctl("config show") == state)
        #expect(try lab.ping(from: 1, to: 2))
    }

    @Test func aStateFileWithRefusedValuesStopsStartUnlessRecovered() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.addVethHost(1)
        // As an older swiveld wrote it after API calls it did not check.
        try """
            networks:
            - {name: good, vlan: 10, owner: api}
            - {name: bad, vlan: 70000, owner: api}
            routers: []
            ports:
            - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: good, owner: api}
            - {name: p2, kind: tap, device: \(lab.tag)x2, network: bad, owner: cni}
            - {name: p3, kind: tap, device: \(lab.tag)x3, owner: api, addresses: [{mac: 02-00-00-00-00-03, ips: [10.0.0.3/24]}]}
            """.write(toFile: lab.stateFile, atomically: true, encoding: .utf8)
        let refused = try Shell.run("\(Binaries.swiveld) --socket \(lab.socket) --state-file \(lab.stateFile)", check: false)
        #expect(refused.status == 78, "EX_CONFIG: \(refused.err)")
        #expect(refused.err.contains("networks.bad.vlan: must be between 1 and 4094, got 70000"), "\(refused.err)")
        #expect(refused.err.contains("ports.p3.addresses[0].mac") && refused.err.contains("--state-file-recover"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: lab.socket))

        try lab.startSwitch(["--state-file-recover"])
        lab.links.append(contentsOf: ["\(lab.tag)x2", "\(lab.tag)x3"])
        let shown = try lab.ctl("config show")
        #expect(shown.contains("name: good") && shown.contains("name: p1"), "\(shown)")
        #expect(!shown.contains("name: bad") && !shown.contains("name: p2") && !shown.contains("name: p3"), "\(shown)")
        #expect(lab.log().contains("3 object(s) of \(lab.stateFile) refused"), "\(lab.log())")
        let aside = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("\(lab.tag)-state.yaml.rejected-") }
        defer { for f in aside { try? FileManager.default.removeItem(atPath: "/tmp/\(f)") } }
        #expect(aside.count == 1)
        let report = try String(contentsOfFile: "/tmp/\(aside.first ?? "")", encoding: .utf8)
        #expect(report.contains("got 70000") && report.contains("unknown network ''bad''") && report.contains("name: p3"), "\(report)")
        // The recovered state is what the state file holds now: a plain restart loads it.
        #expect(lab.stopSwitch() == 0)
        try lab.startSwitch([])
        #expect(try lab.ctl("config show") == shown)

        // A file that does not even parse is refused the same way (not moved aside and forgotten).
        #expect(lab.stopSwitch() == 0)
        try "ports: [ {name: x".write(toFile: lab.stateFile, atomically: true, encoding: .utf8)
        let broken = try Shell.run("\(Binaries.swiveld) --socket \(lab.socket) --state-file \(lab.stateFile)", check: false)
        #expect(broken.status == 78 && broken.err.contains("YAML syntax"), "\(broken.err)")
    }

    @Test func craftedFramesFromASecuredPortAreDroppedByNameAndCrossNothing() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        let config = try lab.writeConfig("""
            networks: [{name: blue, vlan: 10}, {name: red, vlan: 20}]
            ports:
              - {name: secured, kind: afpacket, device: \(lab.vethPort(1)), network: blue, addresses: [{mac: "\(try lab.mac(1))", ips: [\(lab.ip(1))]}]}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
            """)
        try lab.startSwitch(["--config", config])
        try lab.quiet([1, 2])
        #expect(try lab.ping(from: 1, to: 2))
        let (watcher, output) = try startHelper(lab.ns(2), "\(Binaries.helpers)/attack.py watch eth0 30 \(lab.ip(2))")
        defer { if watcher.isRunning { watcher.terminate() }; try? FileManager.default.removeItem(at: output) }
        let n = 5
        _ = try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/attack.py craft eth0 \(lab.ip(2)) \(n)")
        watcher.waitUntilExit()
        let seen = try String(contentsOf: output, encoding: .utf8)
        #expect(seen.contains("arp_claims=0") && seen.contains("router_ads=0") && seen.contains("fragments=0"), "host 2 saw: \(seen)")
        let drops = try #require(try lab.portDoc("secured")["drops"] as? [String: Int])
        #expect(drops == ["vlan-stacked-tags": 2 * n, "ra-guard": n, "ipv6-bad-header-chain": n], "\(drops)")
        #expect(try lab.ping(from: 1, to: 2), "the workload's own traffic still flows")
    }

    /// Guarded workloads on two subnets behind a router: the router's ARP, echo replies, forwarded
    /// packets and ICMP errors all reach them.
    @Test func guardedWorkloadsBehindARouterPingBothWaysAndGetFragmentationNeeded() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        let nets = ["10.61.0", "10.62.0"]
        for (i, net) in nets.enumerated() {
            try lab.addNamespace(i + 1)
            try Shell.run("ip link add \(lab.vethPort(i + 1)) type veth peer name eth0 netns \(lab.ns(i + 1))")
            lab.links.append(lab.vethPort(i + 1))
            try Shell.run("ip link set \(lab.vethPort(i + 1)) up && ip -n \(lab.ns(i + 1)) link set eth0 up")
            try Shell.run("ip -n \(lab.ns(i + 1)) addr add \(net).10/24 dev eth0 && ip -n \(lab.ns(i + 1)) route add default via \(net).1")
        }
        let config = try lab.writeConfig("""
            networks:
              - {name: blue, subnets: [{cidr: 10.61.0.0/24, gateway: 10.61.0.1}]}
              - {name: red, mtu: 1000, subnets: [{cidr: 10.62.0.0/24, gateway: 10.62.0.1}]}
            routers: [{name: edge, networks: [blue, red]}]
            security_groups:
              - name: pingable
                rules: [{direction: ingress, protocol: icmp, remote: 10.0.0.0/8}]
            ports:
              - {name: w1, kind: afpacket, device: \(lab.vethPort(1)), network: blue, security_groups: [pingable],
                 addresses: [{mac: "\(try lab.mac(1))", ips: [10.61.0.10]}]}
              - {name: w2, kind: afpacket, device: \(lab.vethPort(2)), network: red, security_groups: [pingable],
                 addresses: [{mac: "\(try lab.mac(2))", ips: [10.62.0.10]}]}
            """)
        try lab.startSwitch(["--config", config])
        func run(_ i: Int, _ command: String) throws -> Shell.Result {
            try Shell.run("ip netns exec \(lab.ns(i)) \(command)", check: false)
        }
        #expect(try run(1, "ping -c 2 -i 0.2 -W 2 10.61.0.1").status == 0, "the gateway resolves and answers")
        #expect(try run(1, "ping -c 3 -i 0.2 -W 2 10.62.0.10").status == 0, "blue to red")
        #expect(try run(2, "ping -c 3 -i 0.2 -W 2 10.61.0.10").status == 0, "red to blue")
        let mtu = try run(1, "ping -c 1 -W 2 -M do -s 1200 10.62.0.10").out
        #expect(mtu.contains("Frag needed") && mtu.contains("mtu = 1000"), "\(mtu)")
        let ttl = try run(1, "ping -c 1 -W 2 -t 1 10.62.0.10").out
        #expect(ttl.contains("Time to live exceeded"), "\(ttl)")
        let drops = try lab.portDoc("w1")["drops"] as? [String: Int] ?? [:]
        #expect(drops["acl-default-deny"] == nil && drops["ct-invalid"] == nil, "\(drops)")
    }

    /// A persistent TAP whose virtio-net header size another user (a VM with mergeable buffers) left at 12:
    /// swiveld sets it back to the 10 bytes it reads, so frames are not misread two bytes off.
    @Test func aTAPLeftWithAnotherHeaderSizeStillCarriesFrames() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        let tap = lab.tapPort(2)
        try Shell.run("""
            /usr/bin/python3 -c 'import fcntl, struct, os
            fd = os.open("/dev/net/tun", os.O_RDWR)
            fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"\(tap)", 0x0002 | 0x1000 | 0x4000))
            fcntl.ioctl(fd, 0x400454d8, struct.pack("i", 12))
            fcntl.ioctl(fd, 0x400454cb, 1)'
            """)
        lab.links.append(tap)
        try lab.addVethHost(1)
        let config = try lab.writeConfig("""
            ports:
              - {name: v1, kind: afpacket, device: \(lab.vethPort(1))}
              - {name: t2, kind: tap, device: \(tap)}
            """)
        try lab.startSwitch(["--config", config])
        try lab.adoptTap(2)
        #expect(try lab.ping(from: 1, to: 2), "frames through a TAP whose header size was 12")
        // A frame read two bytes off shows as one of these (port-down while the TAP moves is expected).
        let drops = try lab.portDoc("t2")["drops"] as? [String: Int] ?? [:]
        #expect(drops["runt"] == nil && drops["truncated"] == nil && drops["bad-offload-header"] == nil, "\(drops)")
    }

    /// `--datapath-cpu`: the datapath thread alone on its CPU, the API's and everything else's threads off
    /// it, so reading the switch takes no CPU time from forwarding.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2, "needs two CPUs"))
    func theDatapathCPUIsTheDatapathsAlone() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.startWithVethHosts(1...2, extra: ["--datapath-cpu", "1", "--metrics-listen", "127.0.0.1:19466"])
        #expect(try lab.ping(from: 1, to: 2))
        _ = try Shell.run("curl -sf http://127.0.0.1:19466/metrics")   // the metrics threads exist now
        let pid = try #require(lab.daemon?.processIdentifier)
        // "0,2-3" -> [0, 2, 3]
        func cpus(_ list: String) -> Set<Int> {
            Set(list.split(separator: ",").flatMap { part -> [Int] in
                let ends = part.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            })
        }
        var datapath = 0, others = 0
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
            let allowed = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }?.split(separator: "\t").last.map(String.init) ?? ""
            if name == "swivel-datapath" {
                datapath += 1
                #expect(cpus(allowed) == [1], "the datapath thread may run on \(allowed)")
            } else {
                others += 1
                #expect(!cpus(allowed).contains(1), "thread \(name) may run on the datapath's CPU: \(allowed)")
            }
        }
        #expect(datapath == 1 && others > 1)
        let refused = try Shell.run("\(Binaries.swiveld) --datapath-cpu 4096 --socket /tmp/\(lab.tag)-x.sock --state-file none", check: false)
        #expect(refused.status == 2 && refused.err.contains("--datapath-cpu must be"), "\(refused.err)")
    }
}
