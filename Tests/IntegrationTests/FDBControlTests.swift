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
        let config = "/tmp/\(lab.tag)-fdb.yaml"
        defer { try? FileManager.default.removeItem(atPath: config) }
        let pinned = "02:5e:00:00:00:99"
        try """
            networks:
              - name: blue
                fdb: {max_entries: 3, aging_seconds: 120}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue, static_macs: [\(pinned)]}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
              - {name: p3, kind: afpacket, device: \(lab.vethPort(3)), network: blue, max_macs: 1}
            """.write(toFile: config, atomically: true, encoding: .utf8)
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
        // Flushing one port removes only its learned entries; the static one stays.
        let flushed = try json(try lab.ctl("fdb flush --port p2"))
        #expect(flushed["flushed"] as? Int == 1)
        let after = (try json(try lab.ctl("fdb show --json"))["entries"] as? [[String: Any]]) ?? []
        #expect(!after.contains { $0["port"] as? String == "p2" } && after.contains { $0["mac"] as? String == pinned })
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
}
