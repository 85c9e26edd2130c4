import Foundation
import Testing

/// Seeing into the datapath on real traffic: flow dumps, traces, drops, metrics and captures.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct VisibilityTests {
    /// Three quiet hosts on veth ports (and a fourth on a TAP when asked); swiveld may serve metrics.
    func lab(metricsPort: Int? = nil, tapHost: Bool = false) throws -> Lab {
        let lab = Lab()
        var extra: [String] = []
        if tapHost { extra += ["--port", "tap:\(lab.tapPort(4))"] }
        if let metricsPort { extra += ["--metrics-listen", "127.0.0.1:\(metricsPort)"] }
        try lab.startWithVethHosts(1...3, extra: extra)
        if tapHost { try lab.adoptTap(4) }
        try lab.quiet(tapHost ? [1, 2, 3, 4] : [1, 2, 3])
        return lab
    }

    /// One ping each way so the switch has learned both hosts: later unicast is not flooded.
    func warmUp(_ lab: Lab) throws {
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 1 -W 2 \(lab.ip(2))")
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    func flows(_ lab: Lab) throws -> [[String: Any]] {
        (try json(try lab.ctl("flows dump --json")) as? [String: Any])?["flows"] as? [[String: Any]] ?? []
    }

    @Test func flowsDumpCountsExactlyThePingsBothWays() throws {
        let lab = try lab()
        defer { lab.cleanup() }
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 7 -i 0.2 -W 2 \(lab.ip(2))")
        let all = try flows(lab)
        let (m1, m2) = (try lab.mac(1), try lab.mac(2))
        let forward = all.first { $0["eth_src"] as? String == m1 && $0["eth_dst"] as? String == m2 }
        let reverse = all.first { $0["eth_src"] as? String == m2 && $0["eth_dst"] as? String == m1 }
        #expect(forward?["packets"] as? Int == 7, "\(all)")
        #expect(reverse?["packets"] as? Int == 7, "\(all)")
        #expect(forward?["in_port"] as? String == lab.vethPort(1) && forward?["actions"] as? String == "output:\(lab.vethPort(2))")
        #expect(reverse?["actions"] as? String == "output:\(lab.vethPort(1))")
        // A TCP transfer between the same hosts: GSO super-frames count once each, with all their bytes.
        let (server, output) = try startHelper(lab.ns(2), "\(Binaries.helpers)/tcp_transfer.py recv 5001")
        defer { server.terminate(); try? FileManager.default.removeItem(at: output) }
        try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/tcp_transfer.py send \(lab.ip(2)) 5001 4000000")
        server.waitUntilExit()
        let after = try flows(lab).first { $0["eth_src"] as? String == m1 && $0["eth_dst"] as? String == m2 }
        let bytes = after?["bytes"] as? Int ?? 0, packets = after?["packets"] as? Int ?? 0
        #expect(bytes > 4_000_000)
        #expect(packets - 7 < bytes / 1514, "super-frames are one packet each: \(packets) packets for \(bytes) bytes")
        let stats = try json(try lab.ctl("flows stats --json")) as? [String: Any]
        #expect((stats?["entries"] as? Int ?? 0) >= 2 && (stats?["hits"] as? Int ?? 0) > 0)
        let hits = stats?["hits"] as? Int ?? 0, misses = stats?["misses"] as? Int ?? 0
        #expect(misses >= 2 && abs((stats?["hit_rate"] as? Double ?? -1) - Double(hits) / Double(hits + misses)) < 1e-9)
    }

    @Test func liveTraceOfAPingShowsEveryStage() throws {
        let lab = try lab()
        defer { lab.cleanup() }
        try warmUp(lab)
        let out = URL(fileURLWithPath: "/tmp/\(lab.tag)-trace.json")
        defer { try? FileManager.default.removeItem(at: out) }
        let tracer = Process()
        tracer.executableURL = URL(fileURLWithPath: "/bin/sh")
        tracer.arguments = ["-c", "\(Binaries.swivelctl) trace live --port \(lab.vethPort(1)) --count 2 --filter icmp --timeout 10 --json --socket \(lab.socket) > \(out.path)"]
        try tracer.run()
        usleep(500_000)
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 3 -i 0.2 \(lab.ip(2))")
        tracer.waitUntilExit()
        let docs = try json(try String(contentsOf: out, encoding: .utf8)) as? [[String: Any]] ?? []
        #expect(docs.count == 2)
        for d in docs {
            let stages = (d["steps"] as? [[String: Any]] ?? []).compactMap { $0["stage"] as? String }
            #expect(stages == ["parse", "vlan", "l2", "flow-record", "output"], "\(d)")
            #expect(d["verdict"] as? String == "output to \(lab.vethPort(2))")
            #expect((d["packet"] as? String ?? "").contains("\(lab.ip(1)) > \(lab.ip(2)) icmp"))
        }
    }

    @Test func describedPacketsAreExplainedWithoutBeingSent() throws {
        let lab = try lab()
        defer { lab.cleanup() }
        let before = try lab.ctl("port show --json")
        let unicast = try lab.ctl("trace --port \(lab.vethPort(1)) 'eth_dst=\(try lab.mac(2)),ip_dst=\(lab.ip(2)),tcp,tcp_dst=80'")
        #expect(unicast.contains("verdict        output to \(lab.vethPort(2))") || unicast.contains("verdict        flood to"), "\(unicast)")
        let stp = try lab.ctl("trace --port \(lab.vethPort(1)) 'eth_dst=01:80:c2:00:00:00' --json")
        #expect((try json(stp) as? [String: Any])?["verdict"] as? String == "drop: link-local")
        let runt = try lab.ctl("trace --port \(lab.vethPort(1)) --hex 'ffffffffffff0200' --json")
        #expect((try json(runt) as? [String: Any])?["verdict"] as? String == "drop: runt")
        #expect(try lab.ctl("port show --json") == before, "a trace must not count or send anything")
        let bad = try Shell.run("\(Binaries.swivelctl) trace --port nosuch 'tcp' --socket \(lab.socket)", check: false)
        #expect(bad.status == 1 && bad.err.contains("no port named 'nosuch'"))
    }

    /// Malformed frames come in through a TAP: on veth the kernel itself un-tags (and drops truncated)
    /// 802.1Q frames before any packet socket sees them, while a TAP hands the switch the bytes as sent.
    @Test func dropsNameTheReasonsOfMalformedFrames() throws {
        let lab = try lab(tapHost: true)
        defer { lab.cleanup() }
        let before = try lab.ctl("drops")
        #expect(!before.contains("link-local") && !before.contains("invalid-source-mac") && !before.contains("truncated-vlan-tag"))
        try Shell.run("ip netns exec \(lab.ns(4)) \(Binaries.helpers)/frames.py inject eth0")
        try waitFor("drops to be counted") { try lab.ctl("drops").contains("link-local") }
        let drops = try json(try lab.ctl("drops --json --port \(lab.tapPort(4))")) as? [[String: Any]] ?? []
        var byReason: [String: Int] = [:]
        for d in drops { byReason[d["reason"] as? String ?? ""] = d["count"] as? Int }
        // Exactly the injected frames under their reasons. (Frames flooded to the TAP while its interface
        // was still down in the namespace may also show, as port-down.)
        #expect(byReason["truncated-vlan-tag"] == 1 && byReason["invalid-source-mac"] == 1 && byReason["link-local"] == 1, "\(drops)")
        #expect(Set(byReason.keys).subtracting(["truncated-vlan-tag", "invalid-source-mac", "link-local", "port-down"]).isEmpty)
        #expect(drops.filter { $0["reason"] as? String != "port-down" }.allSatisfy { ($0["last_seen"] as? Double ?? 99) < 10 })
        let text = try lab.ctl("drops")
        #expect(text.contains("PORT") && text.contains("truncated-vlan-tag"))
    }

    @Test func prometheusCountersMatchPortShow() throws {
        let metricsPort = Int.random(in: 20000...40000)
        let lab = try lab(metricsPort: metricsPort)
        defer { lab.cleanup() }
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 4 -i 0.2 \(lab.ip(2))")
        try waitFor("metrics endpoint") { try Shell.run("curl -sf http://127.0.0.1:\(metricsPort)/metrics", check: false).status == 0 }
        let parsed = try Shell.run("\(Binaries.helpers)/frames.py metrics http://127.0.0.1:\(metricsPort)/metrics").out
        let ports = try json(try lab.ctl("port show --json")) as? [[String: Any]] ?? []
        let expected = ports.map { "\($0["name"]!) \($0["rx_packets"]!) \($0["tx_packets"]!)" }.sorted().joined(separator: "\n") + "\n"
        #expect(parsed == expected)
        #expect(ports.contains { ($0["rx_packets"] as? Int ?? 0) >= 4 })
        let raw = try Shell.run("curl -s http://127.0.0.1:\(metricsPort)/metrics").out
        #expect(raw.contains("# TYPE swivel_port_rx_packets_total counter") && raw.contains("swivel_pipeline_batches_total"))
        #expect(raw.contains("swivel_table_limit{table=\"conntrack\"}") && raw.contains("# TYPE swivel_conntrack_created_total counter"), "\(raw)")
    }

    @Test func captureWritesExactlyTheFilteredFramesAndMirrors() throws {
        let lab = try lab()
        defer { lab.cleanup() }
        try warmUp(lab)
        let file = "/tmp/\(lab.tag).pcap"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (sniffer, sniffed) = try startHelper(lab.ns(3), "\(Binaries.helpers)/frames.py sniff eth0 6")
        defer { sniffer.terminate(); try? FileManager.default.removeItem(at: sniffed) }
        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: Binaries.swivelctl)
        capture.arguments = ["capture", "--port", lab.vethPort(2), "--direction", "tx", "--filter", "icmp[icmptype] == icmp-echo",
                             "--count", "3", "-w", file, "--mirror-to", lab.vethPort(3), "--socket", lab.socket]
        try capture.run()
        usleep(500_000)
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 5 -i 0.2 \(lab.ip(2))")
        capture.waitUntilExit()
        #expect(capture.terminationStatus == 0)
        let lines = try Shell.run("tcpdump -nr \(file) 2>/dev/null").out.split(separator: "\n")
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.allSatisfy { $0.contains("IP \(lab.ip(1)) > \(lab.ip(2)): ICMP echo request") }, "\(lines)")
        sniffer.waitUntilExit()
        let seen = try String(contentsOf: sniffed, encoding: .utf8)
        #expect(seen.contains("icmp_echo_requests=3"), "mirror port saw: \(seen)")
    }
}
