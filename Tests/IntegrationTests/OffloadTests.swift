import Foundation
import Testing

/// TCP with the interfaces' default offloads (TSO, checksum offload): super-frames and partial checksums
/// pass through where the egress port takes them, and are segmented and completed in software where it
/// does not (`offloads: off`), also across a router and onto a TAP.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct OffloadTests {
    func offloadCounters(_ name: String, in lab: Lab) throws -> [String: Int] {
        try #require(try lab.portDoc(name)["offload_counters"] as? [String: Int])
    }

    /// Sends 16 MB from host `from` to `address` in host `to` and checks it arrived intact with no TCP
    /// checksum errors on either side.
    func transfer(_ lab: Lab, from: Int, to: Int, address: String) throws {
        let (receiver, output) = try startHelper(lab.ns(to), "\(Binaries.helpers)/tcp_transfer.py recv 5001")
        defer { if receiver.isRunning { receiver.terminate() }; try? FileManager.default.removeItem(at: output) }
        let sent = try Shell.run("ip netns exec \(lab.ns(from)) \(Binaries.helpers)/tcp_transfer.py send \(address) 5001 16000000")
        receiver.waitUntilExit()
        let got = try String(contentsOf: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(got.hasSuffix(sent.out.trimmingCharacters(in: .whitespacesAndNewlines)), "sent \(sent.out) got \(got)")
        for i in [from, to] {
            let errors = try Shell.run("ip netns exec \(lab.ns(i)) nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ {print $2}'").out
            #expect(errors.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "TCP checksum errors in \(lab.ns(i))")
        }
    }

    @Test func aPortWithOffloadsOffGetsSegmentsTheSwitchMade() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        try lab.startSwitch(["--port", "afpacket:\(lab.vethPort(1))", "--port", "afpacket:\(lab.vethPort(2)),offloads=off"])
        try transfer(lab, from: 1, to: 2, address: lab.ip(2))
        let off = try offloadCounters(lab.vethPort(2), in: lab)
        #expect((off["segmented"] ?? 0) > 0 && (off["segments"] ?? 0) > (off["segmented"] ?? 0), "software segmentation: \(off)")
        #expect(off["passed_through"] == 0, "nothing offloaded may reach a port with offloads off: \(off)")
        #expect(try lab.portDoc(lab.vethPort(2))["offloads"] as? String == "off")
    }

    @Test func superFramesCrossARouterOntoATap() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        try lab.addNamespace(1)
        try Shell.run("ip link add \(lab.vethPort(1)) type veth peer name eth0 netns \(lab.ns(1))")
        lab.links.append(lab.vethPort(1))
        try Shell.run("ip link set \(lab.vethPort(1)) up && ip -n \(lab.ns(1)) link set eth0 up")
        try Shell.run("ip -n \(lab.ns(1)) addr add 10.1.0.10/24 dev eth0 && ip -n \(lab.ns(1)) route add default via 10.1.0.1")
        try lab.startSwitch(["--network", "blue,subnet=10.1.0.0/24,gateway=10.1.0.1", "--network", "red,subnet=10.2.0.0/24,gateway=10.2.0.1",
                             "--router", "edge,networks=blue+red",
                             "--port", "afpacket:\(lab.vethPort(1)),network=blue", "--port", "tap:\(lab.tapPort(2)),network=red"])
        try lab.addNamespace(2)
        try waitFor("TAP \(lab.tapPort(2))") { (try? Shell.run("ip link show \(lab.tapPort(2))"))?.status == 0 }
        try Shell.run("ip link set \(lab.tapPort(2)) netns \(lab.ns(2)) && ip -n \(lab.ns(2)) link set \(lab.tapPort(2)) name eth0")
        try Shell.run("ip -n \(lab.ns(2)) addr add 10.2.0.10/24 dev eth0 && ip -n \(lab.ns(2)) link set eth0 up && ip -n \(lab.ns(2)) route add default via 10.2.0.1")
        try transfer(lab, from: 1, to: 2, address: "10.2.0.10")
        try transfer(lab, from: 2, to: 1, address: "10.1.0.10")
        let tap = try offloadCounters(lab.tapPort(2), in: lab), veth = try offloadCounters(lab.vethPort(1), in: lab)
        #expect((tap["passed_through"] ?? 0) > 0 && (veth["passed_through"] ?? 0) > 0,
                "routed super-frames went out whole, both ways: tap \(tap), veth \(veth)")
        let drops = try lab.portDoc(lab.vethPort(1))["drops"] as? [String: Int] ?? [:]
        #expect(drops["fragmentation-needed"] == nil && drops["fragmentation-unsupported"] == nil, "\(drops)")
    }
}
