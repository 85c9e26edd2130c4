import Foundation
import Testing

/// End to end through a real swiveld: namespaces on veth (AF_PACKET) and TAP ports, real traffic.
/// Serialized: every test builds and removes its own namespaces, but they share the machine's CPU.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces, veth and TAP"))
struct SwitchingTests {
    /// ns1 and ns2 on veth, ns3 on a TAP moved into its namespace.
    func threeHosts(_ lab: Lab, engine: String) throws {
        try lab.addVethHost(1)
        try lab.addVethHost(2)
        try lab.startSwitch(["--port", "afpacket:\(lab.vethPort(1))", "--port", "afpacket:\(lab.vethPort(2))",
                             "--port", "tap:\(lab.tapPort(3))", "--io-engine", engine])
        try lab.adoptTap(3)
    }

    @Test(arguments: ["ring", "ring-v3", "mmsg"])
    func everyHostPingsEveryOther(engine: String) throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try threeHosts(lab, engine: engine)
        for (i, j) in [(1, 2), (1, 3), (2, 3), (3, 1), (2, 1), (3, 2)] {
            #expect(try lab.ping(from: i, to: j), "ping \(i) -> \(j) with --io-engine \(engine)\n\(lab.log())")
        }
        // The FDB holds the three MACs on the right ports.
        let fdb = try JSONSerialization.jsonObject(with: Data(try lab.ctl("fdb show --json").utf8)) as? [String: Any]
        let entries = (fdb?["entries"] as? [[String: Any]]) ?? []
        var portOfMAC: [String: String] = [:]
        for e in entries { portOfMAC[e["mac"] as? String ?? ""] = e["port"] as? String }
        #expect(portOfMAC[try lab.mac(1)] == lab.vethPort(1))
        #expect(portOfMAC[try lab.mac(2)] == lab.vethPort(2))
        #expect(portOfMAC[try lab.mac(3)] == lab.tapPort(3))
        #expect(entries.allSatisfy { $0["network"] as? String == "default" && $0["type"] as? String == "learned" })
        // Port counters moved and nothing was dropped.
        let ports = try JSONSerialization.jsonObject(with: Data(try lab.ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        #expect(ports.count == 3)
        for p in ports {
            #expect((p["rx_packets"] as? Int ?? 0) >= 6 && (p["tx_packets"] as? Int ?? 0) >= 6, "\(p)")
            #expect(p["state"] as? String == "up")
        }
        #expect(lab.stopSwitch() == 0)
        // A TAP swiveld created for a command-line port is gone after a clean shutdown (the kernel
        // finishes unregistering it a few milliseconds after the last descriptor closes).
        try waitFor("the TAP to be removed", timeout: 2) {
            try Shell.run("ip -n \(lab.ns(3)) link show eth0", check: false).status != 0
        }
    }

    @Test func pacedFramesArriveCompleteAndInOrder() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.startWithVethHosts(1...2)
        #expect(try lab.ping(from: 1, to: 2, count: 1))
        let (receiver, output) = try startHelper(lab.ns(2), "\(Binaries.helpers)/udp_sequence.py recv 9999 10000 5")
        defer { receiver.terminate() }
        let sent = try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/udp_sequence.py send \(lab.ip(2)) 9999 10000 20000")
        #expect(sent.out.contains("sent=10000"))
        receiver.waitUntilExit()
        let result = try String(contentsOf: output, encoding: .utf8)
        try? FileManager.default.removeItem(at: output)
        let ports = (try? lab.ctl("port show")) ?? ""
        #expect(result.contains("received=10000 in_order=1"), "\(result)\n\(ports)")
    }

    @Test(arguments: ["ring", "ring-v3", "mmsg"])
    func tcpTransferVethToTapIsIntactWithDefaultOffloads(engine: String) throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try threeHosts(lab, engine: engine)
        let (receiver, output) = try startHelper(lab.ns(3), "\(Binaries.helpers)/tcp_transfer.py recv 5001")
        defer { receiver.terminate() }
        let sent = try Shell.run("ip netns exec \(lab.ns(1)) \(Binaries.helpers)/tcp_transfer.py send \(lab.ip(3)) 5001 16000000")
        receiver.waitUntilExit()
        let got = try String(contentsOf: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try? FileManager.default.removeItem(at: output)
        #expect(got.hasSuffix(sent.out.trimmingCharacters(in: .whitespacesAndNewlines)), "sent \(sent.out) got \(got)")
        for i in [1, 3] {
            let errors = try Shell.run("ip netns exec \(lab.ns(i)) nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ {print $2}'").out
            #expect(errors.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "TCP checksum errors in \(lab.ns(i))")
        }
    }

    @Test func aPortThatCannotBeOpenedStopsStartup() throws {
        let missing = try Shell.run("\(Binaries.swiveld) --port afpacket:swnosuchdev0 --socket /tmp/swivel-bad.sock", check: false)
        #expect(missing.status == 2)
        #expect(missing.err == "swiveld: cannot open port swnosuchdev0: no such interface\n")
        let kind = try Shell.run("\(Binaries.swiveld) --port bridge:x --socket /tmp/swivel-bad.sock", check: false)
        #expect(kind.status == 2)
        #expect(kind.err.contains("unknown port kind 'bridge'"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/swivel-bad.sock"))
    }

    @Test func portRebindsWhenItsDeviceComesBack() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.startWithVethHosts(1...2)
        #expect(try lab.ping(from: 1, to: 2))
        try Shell.run("ip link del \(lab.vethPort(2))")
        try waitFor("port to go down") { try lab.ctl("port show").contains("down (no device)") }
        try Shell.run("ip link add \(lab.vethPort(2)) type veth peer name eth0 netns \(lab.ns(2))")
        try Shell.run("ip -n \(lab.ns(2)) addr add \(lab.ip(2))/24 dev eth0 && ip -n \(lab.ns(2)) link set eth0 up && ip link set \(lab.vethPort(2)) up")
        try waitFor("port to come back") { !(try lab.ctl("port show").contains("down")) }
        // The new veth has a new MAC: forget the old one as a host would after a gratuitous ARP.
        try Shell.run("ip -n \(lab.ns(1)) neigh flush all")
        let ports = (try? lab.ctl("port show")) ?? ""
        #expect(try lab.ping(from: 1, to: 2), "\(ports)\n\(lab.log())")
        // Link down and up on the same device: the socket stays bound and traffic resumes.
        try Shell.run("ip link set \(lab.vethPort(2)) down")
        try waitFor("link down to show") { try lab.ctl("port show").contains("down (link down)") }
        try Shell.run("ip link set \(lab.vethPort(2)) up")
        try waitFor("link up to show") { !(try lab.ctl("port show").contains("down")) }
        #expect(try lab.ping(from: 1, to: 2))
        // The daemon idles instead of spinning on the error completions of the vanished socket.
        let cpu = try cpuPercent(of: lab.daemon!.processIdentifier, over: 1.0)
        #expect(cpu < 10, "swiveld used \(cpu)% CPU while idle")
    }
}
