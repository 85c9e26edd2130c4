import Foundation
import Testing

/// swivel-cni called the way container runtimes call CNI plugins: environment variables, the network
/// configuration on stdin, the result or error JSON on stdout.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct CNITests {
    struct Call { var status: Int32; var json: [String: Any]; var raw: String }

    func cni(_ lab: Lab, _ command: String, container: String = "", netns: String = "", args: String = "",
             ifname: String = "eth0", conf: [String: Any]) throws -> Call {
        let confFile = try lab.writeConfig(String(decoding: try JSONSerialization.data(withJSONObject: conf), as: UTF8.self),
                                           name: "cni-\(UInt32.random(in: 0...UInt32.max))")
        let env = "CNI_COMMAND=\(command) CNI_CONTAINERID=\(container) CNI_NETNS=\(netns) CNI_IFNAME='\(ifname)' CNI_PATH=/usr/lib/cni"
            + (args.isEmpty ? "" : " CNI_ARGS='\(args)'")
        let r = try Shell.run("env \(env) \(Binaries.cni) < \(confFile)", check: false)
        try? FileManager.default.removeItem(atPath: confFile)
        let json = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8))) as? [String: Any] ?? [:]
        return Call(status: r.status, json: json, raw: r.out + r.err)
    }

    func conf(_ lab: Lab, version: String, ipam: [String: Any] = ["type": "swivel"], extra: [String: Any] = [:]) -> [String: Any] {
        ["cniVersion": version, "name": "swivel-test", "type": "swivel-cni", "network": "blue", "socket": lab.socket, "ipam": ipam]
            .merging(extra) { _, b in b }
    }

    func cniPorts(_ lab: Lab) throws -> [String] {
        let all = try JSONSerialization.jsonObject(with: Data(try lab.ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        return all.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("cni-") }.sorted()
    }

    /// The plugin's host ends: "swc" and exactly 8 hex digits. (Other suites' interfaces may start with
    /// "swc" too, a lab tag being "sw" and hex digits, but they always carry a non-hex suffix.)
    func hostVeths() throws -> [String] {
        try Shell.run("ip -br link").out.split(separator: "\n").map { String($0.split(separator: " ")[0].split(separator: "@")[0]) }
            .filter { $0.count == 11 && $0.hasPrefix("swc") && $0.dropFirst(3).allSatisfy(\.isHexDigit) }
    }

    func startSwitch(_ lab: Lab, subnet: String = "10.3.0") throws {
        try lab.startSwitch(["--network", "blue,subnet=\(subnet).0/24,gateway=\(subnet).1", "--router", "edge,networks=blue",
                             "--port", "tap:\(lab.tapPort(9)),network=blue"])
    }

    @Test(arguments: ["1.0.0", "1.1.0"]) func addCheckDelGCWithTheBuiltInIPAM(version: String) throws {
        let lab = Lab()
        defer { lab.cleanup(); for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) } }
        try startSwitch(lab)
        for i in 1...2 { try lab.addNamespace(i) }
        var addresses: [String] = []
        for i in 1...2 {
            let add = try cni(lab, "ADD", container: "\(lab.tag)c\(i)", netns: "/var/run/netns/\(lab.ns(i))", conf: conf(lab, version: version))
            #expect(add.status == 0, "\(add.raw)")
            let resultFile = try lab.writeConfig(add.raw.split(separator: "\n").first.map(String.init) ?? "", name: "result\(i)")
            let schema = try Shell.run("\(Binaries.helpers)/cni_schema.py \(Binaries.helpers)/cni-result.schema.json \(resultFile)", check: false)
            #expect(schema.out.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "the result against the spec's schema: \(schema.out)\(schema.err)")
            #expect(add.json["cniVersion"] as? String == version)
            let interfaces = add.json["interfaces"] as? [[String: Any]] ?? []
            #expect(interfaces.count == 2 && interfaces[1]["sandbox"] as? String == "/var/run/netns/\(lab.ns(i))" && interfaces[1]["name"] as? String == "eth0")
            let ip = (add.json["ips"] as? [[String: Any]])?.first
            let address = ip?["address"] as? String ?? ""
            #expect(address.hasPrefix("10.3.0.") && address.hasSuffix("/24") && ip?["gateway"] as? String == "10.3.0.1" && ip?["interface"] as? Int == 1)
            addresses.append(String(address.split(separator: "/")[0]))
        }
        #expect(Set(addresses).count == 2, "two containers, two addresses: \(addresses)")
        // A namespace on a TAP port of the same network, the way a VM would be.
        try lab.addNamespace(9)
        try waitFor("the TAP") { (try? Shell.run("ip link show \(lab.tapPort(9))"))?.status == 0 }
        try Shell.run("ip link set \(lab.tapPort(9)) netns \(lab.ns(9)) && ip -n \(lab.ns(9)) addr add 10.3.0.99/24 dev \(lab.tapPort(9)) && ip -n \(lab.ns(9)) link set \(lab.tapPort(9)) up")
        #expect(try Shell.run("ip netns exec \(lab.ns(1)) ping -c 2 -i 0.2 -W 2 \(addresses[1])", check: false).status == 0)
        #expect(try Shell.run("ip netns exec \(lab.ns(2)) ping -c 2 -i 0.2 -W 2 10.3.0.99", check: false).status == 0)
        #expect(try Shell.run("ip netns exec \(lab.ns(1)) ping -c 1 -W 2 10.3.0.1", check: false).status == 0, "the gateway from the result")
        #expect(try cni(lab, "CHECK", container: "\(lab.tag)c1", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: version)).status == 0)
        #expect(try cniPorts(lab).count == 2)

        // DEL twice: both succeed; the port and the host veth are gone.
        for _ in 0..<2 {
            let del = try cni(lab, "DEL", container: "\(lab.tag)c1", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: version))
            #expect(del.status == 0, "\(del.raw)")
        }
        #expect(try cniPorts(lab).count == 1)
        #expect(try cni(lab, "CHECK", container: "\(lab.tag)c1", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: version)).status != 0)

        if version == "1.1.0" {
            // GC with no attachment listed removes container 2's port; STATUS answers 50 without swiveld.
            let gc = try cni(lab, "GC", conf: conf(lab, version: version, extra: ["cni.dev/attachments": [[String: Any]]()]))
            #expect(gc.status == 0, "\(gc.raw)")
            #expect(try cniPorts(lab).isEmpty && hostVeths().isEmpty)
            #expect(try cni(lab, "STATUS", conf: conf(lab, version: version)).status == 0)
            lab.stopSwitch()
            let status = try cni(lab, "STATUS", conf: conf(lab, version: version))
            #expect(status.status != 0 && status.json["code"] as? Int == 50, "\(status.raw)")
        }
        let versions = try cni(lab, "VERSION", conf: ["cniVersion": version])
        #expect((versions.json["supportedVersions"] as? [String])?.contains(version) == true)
    }

    /// Security groups named in the network configuration, or per attachment in CNI_ARGS: container 1 is in
    /// "quiet" (nothing allowed in), container 2 in "pingable" (echo requests allowed in).
    @Test func securityGroupsFromTheConfigurationAndCNIArgs() throws {
        let lab = Lab()
        defer { lab.cleanup(); for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) } }
        try startSwitch(lab, subnet: "10.7.0")
        for group in [#"{"name": "quiet", "rules": []}"#,
                      #"{"name": "pingable", "rules": [{"direction": "ingress", "protocol": "icmp", "icmp_type": 8}]}"#] {
            let name = group.contains("quiet") ? "quiet" : "pingable"
            let put = try Shell.run("curl -sS --unix-socket \(lab.socket) -X PUT -d '\(group)' http://swiveld/v1/security-groups/\(name)").out
            #expect(put.contains("\"added\":[\"\(name)\"]"), "\(put)")
        }
        for i in 1...3 { try lab.addNamespace(i) }
        let quiet = conf(lab, version: "1.0.0", extra: ["security_groups": ["quiet"]])
        var addresses: [String] = []
        for i in 1...2 {
            let add = try cni(lab, "ADD", container: "\(lab.tag)s\(i)", netns: "/var/run/netns/\(lab.ns(i))",
                              args: i == 2 ? "IgnoreUnknown=1;SECURITY_GROUPS=pingable" : "", conf: quiet)
            #expect(add.status == 0, "\(add.raw)")
            let address = (add.json["ips"] as? [[String: Any]])?.first?["address"] as? String ?? ""
            addresses.append(String(address.split(separator: "/")[0]))
        }
        let port1 = try JSONSerialization.jsonObject(with: Data(try lab.ctl("config show --json").utf8)) as? [String: Any]
        let ports = port1?["ports"] as? [[String: Any]] ?? []
        #expect(Set(ports.compactMap { $0["security_groups"] as? [String] }.flatMap { $0 }) == ["quiet", "pingable"], "\(ports)")
        // Into "pingable": allowed, and the reply gets back into "quiet" as part of the connection.
        #expect(try Shell.run("ip netns exec \(lab.ns(1)) ping -c 2 -i 0.2 -W 2 \(addresses[1])", check: false).status == 0)
        // Into "quiet": nothing.
        #expect(try Shell.run("ip netns exec \(lab.ns(2)) ping -c 2 -i 0.2 -W 1 \(addresses[0])", check: false).status != 0)
        #expect(try cni(lab, "CHECK", container: "\(lab.tag)s2", netns: "/var/run/netns/\(lab.ns(2))",
                        args: "SECURITY_GROUPS=pingable", conf: quiet).status == 0)
        #expect(try cni(lab, "CHECK", container: "\(lab.tag)s2", netns: "/var/run/netns/\(lab.ns(2))", conf: quiet).status != 0,
                "CHECK notices the groups differ from the configuration's")
        // A group swiveld does not have: refused, nothing left behind.
        let bad = try cni(lab, "ADD", container: "\(lab.tag)s3", netns: "/var/run/netns/\(lab.ns(3))", args: "SECURITY_GROUPS=nosuch", conf: quiet)
        #expect(bad.status != 0 && bad.json["code"] as? Int == 7 && (bad.json["msg"] as? String ?? "").contains("nosuch"), "\(bad.raw)")
        #expect(try cniPorts(lab).count == 2 && hostVeths().count == 2)
        for i in 1...2 {
            #expect(try cni(lab, "DEL", container: "\(lab.tag)s\(i)", netns: "/var/run/netns/\(lab.ns(i))", conf: quiet).status == 0)
        }
        #expect(try cniPorts(lab).isEmpty)
    }

    @Test func delegatedHostLocalIPAMLeasesAreReleased() throws {
        let lab = Lab()
        let dataDir = "/tmp/\(lab.tag)-ipam"
        defer {
            lab.cleanup()
            try? FileManager.default.removeItem(atPath: dataDir)
            for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) }
        }
        try startSwitch(lab, subnet: "10.4.0")
        for i in 1...2 { try lab.addNamespace(i) }
        let ipam: [String: Any] = ["type": "host-local", "dataDir": dataDir,
                                   "ranges": [[["subnet": "10.4.0.0/24", "gateway": "10.4.0.1", "rangeStart": "10.4.0.50"]]]]
        for i in 1...2 {
            let add = try cni(lab, "ADD", container: "\(lab.tag)h\(i)", netns: "/var/run/netns/\(lab.ns(i))", conf: conf(lab, version: "1.0.0", ipam: ipam))
            #expect(add.status == 0, "\(add.raw)")
            #expect(((add.json["ips"] as? [[String: Any]])?.first?["address"] as? String)?.hasPrefix("10.4.0.5") == true, "\(add.raw)")
        }
        #expect(try Shell.run("ip netns exec \(lab.ns(1)) ping -c 2 -i 0.2 -W 2 10.4.0.51", check: false).status == 0)
        let leases = { (try? FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/swivel-test"))?.filter { $0.hasPrefix("10.") } ?? [] }
        #expect(leases().count == 2)
        // GC with only container 1 listed: container 2's port goes, and host-local releases its lease.
        let gc = try cni(lab, "GC", conf: conf(lab, version: "1.1.0", ipam: ipam,
                                              extra: ["cni.dev/attachments": [["containerID": "\(lab.tag)h1", "ifname": "eth0"]]]))
        #expect(gc.status == 0, "\(gc.raw)")
        let remaining = try cniPorts(lab)
        #expect(leases().count == 1 && remaining.count == 1, "\(leases()) \(remaining)")
        #expect(try cni(lab, "DEL", container: "\(lab.tag)h1", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: "1.0.0", ipam: ipam)).status == 0)
        #expect(leases().isEmpty, "DEL released the last lease: \(leases())")
        #expect(try cniPorts(lab).isEmpty)
    }

    /// Podman (Debian's 4.3 with its CNI backend, runc, cgroupfs) runs a busybox container on a Swivel
    /// network through swivel-cni; it pings a namespace attached through the plugin by hand, and its
    /// removal leaves no port and no veth behind.
    @Test func aPodmanContainerOnASwivelNetwork() throws {
        let lab = Lab()
        let dir = "/tmp/\(lab.tag)-podman"
        let podman = "podman --root \(dir)/storage --runroot \(dir)/run --network-backend cni --network-config-dir \(dir)/cni --runtime runc --cgroup-manager=cgroupfs"
        let env = "CONTAINERS_CONF=\(dir)/containers.conf"
        defer {
            _ = try? Shell.run("\(env) \(podman) system reset --force", check: false)
            try? FileManager.default.removeItem(atPath: dir)
            lab.cleanup()
            for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) }
        }
        try startSwitch(lab, subnet: "10.6.0")
        // The plugin directory, the network list and an image holding busybox, without a registry.
        try Shell.run("mkdir -p \(dir)/cni \(dir)/rootfs/bin && cp /bin/busybox \(dir)/rootfs/bin/ && for t in sh ping ip; do ln -s busybox \(dir)/rootfs/bin/$t; done && tar -C \(dir)/rootfs -cf \(dir)/rootfs.tar .")
        let pluginDir = URL(fileURLWithPath: Binaries.cni).deletingLastPathComponent().path
        try "[network]\ncni_plugin_dirs = [\"\(pluginDir)\", \"/usr/lib/cni\"]\n".write(toFile: "\(dir)/containers.conf", atomically: true, encoding: .utf8)
        try #"{"cniVersion": "1.0.0", "name": "swivel-blue", "plugins": [{"type": "swivel-cni", "network": "blue", "socket": "\#(lab.socket)"}]}"#
            .write(toFile: "\(dir)/cni/swivel-blue.conflist", atomically: true, encoding: .utf8)
        try Shell.run("\(env) \(podman) import \(dir)/rootfs.tar swivel-busybox")
        // A namespace attached by hand through the plugin, for the container to reach.
        try lab.addNamespace(1)
        let add = try cni(lab, "ADD", container: "\(lab.tag)peer", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: "1.0.0"))
        let peer = ((add.json["ips"] as? [[String: Any]])?.first?["address"] as? String)?.split(separator: "/").first.map(String.init) ?? ""
        #expect(add.status == 0 && peer.hasPrefix("10.6.0."), "\(add.raw)")
        let run = try Shell.run("\(env) \(podman) run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network swivel-blue swivel-busybox ping -c 2 -W 2 \(peer)", check: false)
        #expect(run.status == 0 && run.out.contains("2 packets received"), "\(run.out)\(run.err)")
        #expect(try cniPorts(lab) == [Plugin.portName(containerID: "\(lab.tag)peer")], "the container's port is gone with it")
        #expect(try cni(lab, "DEL", container: "\(lab.tag)peer", netns: "/var/run/netns/\(lab.ns(1))", conf: conf(lab, version: "1.0.0")).status == 0)
        #expect(try cniPorts(lab).isEmpty)
        // The kernel tears a removed container's namespace (and the veth pair in it) down asynchronously.
        try waitFor("the container's veth to go with its namespace") { try hostVeths().isEmpty }
    }

    enum Plugin {
        /// The plugin's naming: the id's first 12 characters and a hash of the whole attachment.
        static func portName(containerID: String, ifname: String = "eth0") -> String {
            var h: UInt32 = 0x811C_9DC5
            for b in "\(containerID)/\(ifname)".utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
            return "cni-\(containerID.prefix(12))-\(String(format: "%08x", h))-\(ifname)"
        }
    }

    /// What a runtime (or whoever can write its configuration) may get wrong or abuse: each refused with a
    /// CNI error and nothing created; GC keeps to its own configuration; IPAM skips routers' addresses;
    /// names of containers sharing an id prefix do not collide; ports get a MAC limit.
    @Test func hostileOrCarelessInputIsRefusedAndAttachmentsStayApart() throws {
        let lab = Lab()
        defer { lab.cleanup(); for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) } }
        try startSwitch(lab, subnet: "10.7.0")
        for i in 1...2 { try lab.addNamespace(i) }
        let netns = { (i: Int) in "/var/run/netns/\(lab.ns(i))" }
        let refused: [(String, Call)] = [
            ("an interface name that is a command", try cni(lab, "ADD", container: "\(lab.tag)x", netns: netns(1), ifname: "eth0\nlink del lo", conf: conf(lab, version: "1.0.0"))),
            ("an interface name too long", try cni(lab, "ADD", container: "\(lab.tag)x", netns: netns(1), ifname: "a-very-long-ifname", conf: conf(lab, version: "1.0.0"))),
            ("a container id with a slash", try cni(lab, "ADD", container: "../\(lab.tag)", netns: netns(1), conf: conf(lab, version: "1.0.0"))),
            ("an IPAM type that is a path", try cni(lab, "ADD", container: "\(lab.tag)x", netns: netns(1), conf: conf(lab, version: "1.0.0", ipam: ["type": "../../bin/true"]))),
            ("SECURITY_GROUPS= stripping the groups", try cni(lab, "ADD", container: "\(lab.tag)x", netns: netns(1), args: "SECURITY_GROUPS=", conf: conf(lab, version: "1.0.0"))),
            ("SECURITY_GROUPS=, stripping the groups", try cni(lab, "ADD", container: "\(lab.tag)x", netns: netns(1), args: "SECURITY_GROUPS=,", conf: conf(lab, version: "1.0.0"))),
        ]
        for (what, call) in refused {
            #expect(call.status != 0 && (call.json["code"] as? Int).map { [4, 7].contains($0) } == true, "\(what): \(call.raw)")
        }
        #expect(try cniPorts(lab).isEmpty && hostVeths().isEmpty, "nothing was created")
        #expect(try Shell.run("ip -n \(lab.ns(1)) link show lo", check: false).status == 0)

        // A second router holds .2, the first address the built-in IPAM would pick.
        _ = try Shell.run(#"curl -sf --unix-socket \#(lab.socket) -X PUT -H 'Content-Type: application/json' --data '{"name": "r2", "networks": [{"network": "blue", "address": "10.7.0.2"}]}' http://localhost/v1/routers/r2"#)
        // Two containers whose ids share their first 12 characters.
        let ids = ["\(lab.tag)-same-prefix-a", "\(lab.tag)-same-prefix-b"]
        var addresses: [String] = []
        for (i, id) in ids.enumerated() {
            let add = try cni(lab, "ADD", container: id, netns: netns(i + 1), conf: conf(lab, version: "1.0.0"))
            #expect(add.status == 0, "\(add.raw)")
            addresses.append(((add.json["ips"] as? [[String: Any]])?.first?["address"] as? String) ?? "")
        }
        #expect(addresses == ["10.7.0.3/24", "10.7.0.4/24"], "the router's address is never handed out: \(addresses)")
        #expect(try cniPorts(lab) == ids.map { Plugin.portName(containerID: $0) }.sorted())
        #expect(try Shell.run("ip netns exec \(lab.ns(1)) ping -c 2 -i 0.2 -W 2 10.7.0.4", check: false).status == 0)
        let port = try lab.portDoc(Plugin.portName(containerID: ids[0]))
        let config = try lab.ctl("config show")
        #expect(config.contains("max_macs: 4"), "CNI ports get a MAC limit: \(config) \(port)")
        // GC of another configuration on the same network, with no attachments: ours stay.
        var other = conf(lab, version: "1.1.0")
        other["name"] = "other-conf"
        other["cni.dev/attachments"] = [[String: Any]]()
        #expect(try cni(lab, "GC", conf: other).status == 0)
        #expect(try cniPorts(lab).count == 2, "another configuration's GC removed our ports")
        for (i, id) in ids.enumerated() {
            #expect(try cni(lab, "DEL", container: id, netns: netns(i + 1), conf: conf(lab, version: "1.0.0")).status == 0)
        }
        #expect(try cniPorts(lab).isEmpty)
    }

    @Test func fiftyAttachCyclesLeaveNothingBehind() throws {
        let lab = Lab()
        defer { lab.cleanup(); for v in (try? hostVeths()) ?? [] { _ = try? Shell.run("ip link del \(v)", check: false) } }
        try startSwitch(lab, subnet: "10.5.0")
        for cycle in 0..<50 {
            let ns = "\(lab.tag)cy"
            try Shell.run("ip netns add \(ns)")
            let add = try cni(lab, "ADD", container: "\(lab.tag)cycle\(cycle)", netns: "/var/run/netns/\(ns)", conf: conf(lab, version: "1.0.0"))
            let del = try cni(lab, "DEL", container: "\(lab.tag)cycle\(cycle)", netns: "/var/run/netns/\(ns)", conf: conf(lab, version: "1.0.0"))
            try Shell.run("ip netns del \(ns)")
            #expect(add.status == 0 && del.status == 0, "cycle \(cycle): \(add.raw) \(del.raw)")
            #expect(((add.json["ips"] as? [[String: Any]])?.first?["address"] as? String) == "10.5.0.2/24", "the address is reused: \(add.raw)")
        }
        #expect(try cniPorts(lab).isEmpty && hostVeths().isEmpty)
        #expect(try !Shell.run("ip netns list").out.contains("\(lab.tag)cy"))
    }
}
