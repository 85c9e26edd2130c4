import Foundation
import Testing

/// Ports from a config file: a missing device is not fatal, and configured TAPs persist.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces, veth and TAP"))
struct ConfigPortTests {
    @Test func configuredPortWaitsForItsDeviceAndTapPersists() throws {
        let lab = Lab()
        defer {
            lab.cleanup()
            _ = try? Shell.run("ip link del \(lab.tapPort(3))", check: false)
        }
        try lab.addVethHost(1)
        let config = try lab.writeConfig("""
            networks:
              - name: blue
            ports:
              - {name: one, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: two, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
              - {name: three, kind: tap, device: \(lab.tapPort(3)), network: blue}
            """)
        try lab.startSwitch(["--config", config])
        // `two`'s device does not exist yet: the switch runs and shows the port down.
        let before = try lab.ctl("port show")
        #expect(before.contains("down (no device)"), "\(before)")
        try lab.addVethHost(2)
        try waitFor("port two to bind") { !(try lab.ctl("port show").contains("no device")) }
        #expect(try lab.ping(from: 1, to: 2), "\(lab.log())")
        let ports = try JSONSerialization.jsonObject(with: Data(try lab.ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        #expect(Set(ports.compactMap { $0["network"] as? String }) == ["blue"])
        // A configured TAP outlives the switch and is attached again at the next start.
        #expect(lab.stopSwitch() == 0)
        #expect(try Shell.run("ip link show \(lab.tapPort(3))", check: false).status == 0, "configured TAP was removed")
        try lab.startSwitch(["--config", config])
        try lab.adoptTap(3)
        #expect(try lab.ping(from: 1, to: 3), "\(lab.log())")
        // Moved into a namespace, the TAP goes with it when the namespace is deleted by cleanup.
    }

    @Test func invalidConfigIsRejectedWithFileLineAndReason() throws {
        let config = "/tmp/swivel-bad-\(UInt16.random(in: 0...UInt16.max)).yaml"
        defer { try? FileManager.default.removeItem(atPath: config) }
        try "ports:\n  - name: p\n    kind: afpacket\n    device: v1\n    colour: red\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try Shell.run("\(Binaries.swiveld) --config \(config) --socket \(config).sock", check: false)
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("swiveld: \(config):5:5: ports[0].colour: unknown key 'colour'"), "\(r.err)")
    }
}
