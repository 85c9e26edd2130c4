import Foundation
import Testing

/// The desired state at run time: `swivelctl apply`, SIGHUP, the API's PUT and DELETE, the state file
/// across restarts; a bad config never changes anything.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct ConfigApplyTests {
    func curl(_ lab: Lab, _ method: String, _ path: String, body: String? = nil) throws -> (status: Int, body: String) {
        try lab.api(method, path, body: body)
    }

    func ports(_ lab: Lab) throws -> [String] {
        let all = try JSONSerialization.jsonObject(with: Data(try lab.ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        return all.compactMap { $0["name"] as? String }.sorted()
    }

    @Test func badConfigsChangeNothingGoodOnesApplyBySwivelctlAndSIGHUP() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...3 { try lab.addVethHost(i) }
        let base = """
            networks:
              - {name: blue}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
            """
        let file = try lab.writeConfig(base)
        try lab.startSwitch(["--config", file])
        let before = try lab.ctl("config show")

        // A broken file: swivelctl names the file, line and reason; the API refuses a broken document.
        let broken = try lab.writeConfig(base + "\n  - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: green}\n", name: "broken")
        let refused = try Shell.run("\(Binaries.swivelctl) apply -f \(broken) --socket \(lab.socket)", check: false)
        #expect(refused.status == 1 && refused.err.contains("\(broken):6:5: ports.p3.network: unknown network 'green'"), "\(refused.err)")
        let api = try curl(lab, "PUT", "/v1/ports/p3", body: #"{"name":"p3","kind":"afpacket","device":"\#(lab.vethPort(3))","network":"green"}"#)
        #expect(api.status == 400 && api.body.contains("invalid-config") && api.body.contains("unknown network 'green'"), "\(api)")
        let mismatch = try curl(lab, "PUT", "/v1/ports/p9", body: #"{"name":"p3","kind":"tap","device":"t"}"#)
        #expect(mismatch.status == 400 && mismatch.body.contains("invalid-body"))
        #expect(try curl(lab, "DELETE", "/v1/networks/nosuch").status == 404)
        #expect(try lab.ctl("config show") == before, "nothing changed")

        // A good file: dry run first (nothing changes), then for real.
        let grown = try lab.writeConfig(base + "\n  - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: blue}\n", name: "grown")
        #expect(try lab.ctl("apply -f \(grown) --dry-run").contains("would change: ports +p3"))
        #expect(try ports(lab) == ["p1", "p2"])
        #expect(try lab.ctl("apply -f \(grown)").contains("applied: ports +p3"))
        #expect(try ports(lab) == ["p1", "p2", "p3"])
        #expect(try lab.ping(from: 1, to: 3))

        // SIGHUP re-reads the --config file: a broken one is logged and changes nothing; a good one applies.
        let pid = try #require(lab.daemon?.processIdentifier)
        try String(contentsOfFile: broken, encoding: .utf8).write(toFile: file, atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        try waitFor("the SIGHUP error in the log") { lab.log().contains("not applied, the running state is unchanged") }
        #expect(try ports(lab) == ["p1", "p2", "p3"])
        try base.write(toFile: file, atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        try waitFor("p3 to go") { try ports(lab) == ["p1", "p2"] }
        #expect(try lab.ping(from: 1, to: 2))
    }

    @Test func hundredAppliesDoNotLoseAPing() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...3 { try lab.addVethHost(i) }
        let base = """
            networks:
              - {name: blue}
              - {name: green, subnets: [{cidr: 10.9.0.0/24, gateway: 10.9.0.1}]}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
            """
        // The other state touches other ports, networks and a router with a route.
        let other = """
            networks:
              - {name: blue}
              - {name: red}
              - {name: green, subnets: [{cidr: 10.9.0.0/24, gateway: 10.9.0.1}]}
            routers:
              - {name: r1, networks: [green], routes: [{to: 10.8.0.0/16, via: 10.9.0.254}]}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
              - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: green}
              - {name: p4, kind: tap, device: \(lab.tapPort(4)), network: red}
            """
        lab.links.append(lab.tapPort(4))   // a configured TAP persists: the lab removes it
        let a = try lab.writeConfig(base, name: "a"), b = try lab.writeConfig(other, name: "b")
        try lab.startSwitch(["--config", a])
        try lab.quiet([1, 2])
        let ping = Process()
        ping.executableURL = URL(fileURLWithPath: "/bin/sh")
        let out = URL(fileURLWithPath: "/tmp/\(lab.tag)-ping.out")
        ping.arguments = ["-c", "ip netns exec \(lab.ns(1)) ping -q -i 0.001 -c 12000 -W 1 \(lab.ip(2)) > \(out.path) 2>&1"]
        try ping.run()
        defer { if ping.isRunning { ping.terminate() }; try? FileManager.default.removeItem(at: out) }
        for i in 0..<100 {
            let applied = try lab.ctl("apply -f \(i % 2 == 0 ? b : a)")
            #expect(applied.hasPrefix("applied:") && !applied.contains("no change"), "apply \(i): \(applied)")
        }
        #expect(ping.isRunning, "the applies must happen while the pings run")
        #expect(try lab.ctl("route show").isEmpty == false)
        ping.waitUntilExit()
        let summary = try String(contentsOf: out, encoding: .utf8)
        #expect(summary.contains("12000 packets transmitted, 12000 received"), "\(summary)")
    }

    @Test func theStateComesBackAfterARestartAndAPIPortsSurviveAFileApply() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...3 { try lab.addVethHost(i) }
        let file = try lab.writeConfig("""
            networks:
              - {name: blue}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
            """)
        try lab.startSwitch(["--config", file])
        let put = try curl(lab, "PUT", "/v1/ports/p3", body: #"{"name":"p3","kind":"afpacket","device":"\#(lab.vethPort(3))","network":"blue"}"#)
        #expect(put.status == 200 && put.body.contains("\"added\":[\"p3\"]"), "\(put)")
        #expect(try curl(lab, "GET", "/v1/ports/p3").body.contains("\"owner\":\"api\""))
        let before = try lab.ctl("config show")
        #expect(before.contains("owner: api"))

        // Restart without --config: the state file brings everything back.
        #expect(lab.stopSwitch() == 0)
        try lab.startSwitch([])
        #expect(try lab.ctl("config show") == before)
        #expect(try lab.ping(from: 1, to: 3))
        #expect(try lab.ping(from: 2, to: 3))

        // What config show prints applies again unchanged.
        let shown = try lab.writeConfig(try lab.ctl("config show"), name: "shown")
        #expect(try lab.ctl("apply -f \(shown)").contains("no change"))
        // Applying the file again replaces only what the file owns: the API's port stays.
        #expect(try lab.ctl("apply -f \(file)").contains("no change"))
        #expect(try ports(lab) == ["p1", "p2", "p3"])
        // DELETE removes it.
        #expect(try curl(lab, "DELETE", "/v1/ports/p3").status == 200)
        #expect(try ports(lab) == ["p1", "p2"])

        // A corrupt state file stops start-up (HostileInputTests); with --state-file-recover it is set aside
        // and reported, and swiveld starts from the command line alone.
        #expect(lab.stopSwitch() == 0)
        try "ports: [ {name: x".write(toFile: lab.stateFile, atomically: true, encoding: .utf8)
        try lab.startSwitch(["--port", "afpacket:\(lab.vethPort(1))", "--state-file-recover"])
        #expect(lab.log().contains("refused and set aside in"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("\(lab.tag)-state.yaml.rejected-") }
        #expect(aside.count == 1)
        for f in aside { try? FileManager.default.removeItem(atPath: "/tmp/\(f)") }
        #expect(try ports(lab) == [lab.vethPort(1)])
    }
}
