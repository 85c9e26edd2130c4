import Foundation
import Testing

/// FDB limits, static entries and filtered flushes through the config file and swivelctl.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct FDBControlTests {
    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func limitsStaticsAndFilteredFlushes() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...3 { try lab.addVethHost(i) }
        let pinned = "02:5e:00:00:00:99"
        let config = try lab.writeConfig("""
            networks:
              - name: blue
                fdb: {max_entries: 3, aging_seconds: 120}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue, static_macs: [\(pinned)]}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
              - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: blue, max_macs: 1}
            """)
        try lab.startSwitch(["--config", config])
        try lab.quiet([1, 2, 3])
        // Two learned hosts and the static entry fill blue's limit of 3: host 3 is not learned, yet every
        // ping still works (traffic to an unknown MAC is flooded).
        for (i, j) in [(1, 2), (1, 3), (2, 3)] { #expect(try lab.ping(from: i, to: j, count: 1)) }
        var stats = try json(try lab.ctl("fdb stats --json"))
        let blue = (stats["networks"] as? [[String: Any]])?.first { $0["network"] as? String == "blue" }
        #expect(blue?["entries"] as? Int == 3 && blue?["limit"] as? Int == 3 && blue?["aging_seconds"] as? Int == 120, "\(stats)")
        #expect((stats["limit_hits"] as? Int ?? 0) > 0 && stats["static"] as? Int == 1)
        let entries = (try json(try lab.ctl("fdb show --json --network blue"))["entries"] as? [[String: Any]]) ?? []
        #expect(entries.contains { $0["mac"] as? String == pinned && $0["type"] as? String == "static" && $0["port"] as? String == "p1" })
        // Flushing one port removes only its learned entries; the static one stays. (Which hosts were
        // learned first depends on their start-up chatter, so flush a port that has learned entries.)
        let learned = entries.filter { $0["type"] as? String == "learned" }
        let port = try #require(learned.first?["port"] as? String)
        let flushed = try json(try lab.ctl("fdb flush --port \(port)"))
        #expect(flushed["flushed"] as? Int == learned.filter { $0["port"] as? String == port }.count)
        let after = (try json(try lab.ctl("fdb show --json"))["entries"] as? [[String: Any]]) ?? []
        #expect(!after.contains { $0["port"] as? String == port && $0["type"] as? String == "learned" })
        #expect(after.contains { $0["mac"] as? String == pinned })
        // Static entries through the CLI, and clear errors for bad ones.
        _ = try lab.ctl("fdb del --network blue --mac \(pinned)")
        _ = try lab.ctl("fdb add --network blue --port p2 --mac 02:5e:00:00:00:77")
        stats = try json(try lab.ctl("fdb stats --json"))
        #expect(stats["static"] as? Int == 1)
        let bad = try Shell.run("\(Binaries.swivelctl) fdb add --network blue --port p2 --mac 01:00:5e:00:00:01 --socket \(lab.socket)", check: false)
        #expect(bad.status == 1 && bad.err.contains("not a unicast MAC address"))
        let wrongNet = try Shell.run("\(Binaries.swivelctl) fdb flush --network green --socket \(lab.socket)", check: false)
        #expect(wrongNet.status == 1 && wrongNet.err.contains("no network named 'green'"))
    }

    @Test func stormControlCapsFloodsFromOnePort() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        let config = try lab.writeConfig("""
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), storm_control_pps: 100}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2))}
            """)
        try lab.startSwitch(["--config", config])
        try lab.quiet([1, 2])
        #expect(try lab.ping(from: 1, to: 2, count: 1))
        // The sniffer in ns2 counts exactly the blasted frames (by their EtherType), nothing else.
        let (sniffer, sniffed) = try startHelper(lab.ns(2), "\(Binaries.helpers)/frames.py sniff eth0 20")
        defer { sniffer.terminate(); try? FileManager.default.removeItem(at: sniffed) }
        try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/frames.py broadcast eth0 2000")
        try waitFor("the storm to be handled") {
            (try JSONSerialization.jsonObject(with: Data(try lab.ctl("drops --json").utf8)) as? [[String: Any]] ?? [])
                .contains { $0["reason"] as? String == "storm-control" }
        }
        sniffer.waitUntilExit()
        let sniffedText = try String(contentsOf: sniffed, encoding: .utf8)
        let delivered = Int(sniffedText.split(separator: "experimental=").last?.prefix { $0.isNumber } ?? "") ?? -1
        let drops = try JSONSerialization.jsonObject(with: Data(try lab.ctl("drops --json --port p1").utf8)) as? [[String: Any]] ?? []
        let storm = drops.first { $0["reason"] as? String == "storm-control" }?["count"] as? Int ?? 0
        // Frames the kernel could not hand over in the burst (socket ring full) never reached the switch.
        let ports = try JSONSerialization.jsonObject(with: Data(try lab.ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        let kernel = ports.first { $0["name"] as? String == "p1" }?["kernel_drops"] as? Int ?? 0
        // Exact accounting by the switch: every broadcast of ns1 that reached the pipeline is in its flow
        // record, as flooded or as a storm-control drop; the rest the kernel dropped before handing over.
        let flows = (try JSONSerialization.jsonObject(with: Data(try lab.ctl("flows dump --json").utf8)) as? [String: Any])?["flows"] as? [[String: Any]] ?? []
        let m1 = try lab.mac(1)
        let seen = flows.first { $0["eth_src"] as? String == m1 && $0["eth_dst"] as? String == "ff:ff:ff:ff:ff:ff" }?["packets"] as? Int ?? 0
        #expect(seen + kernel == 2000, "pipeline saw \(seen) + kernel drops \(kernel)")
        let admitted = seen - storm
        #expect(admitted >= 100 && admitted <= 400, "admitted \(admitted)")
        #expect(storm >= 1000)
        #expect(delivered == admitted, "delivered \(delivered), admitted \(admitted)")
        // Unicast from the same port is not limited.
        try Shell.run("ip netns exec \(lab.ns(1)) ping -c 20 -i 0.01 -W 2 \(lab.ip(2))")
    }
}
