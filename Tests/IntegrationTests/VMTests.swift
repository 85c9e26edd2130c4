import Foundation
import Testing

/// A VM's TAP: QEMU holds its descriptor, so Swivel attaches to the interface with AF_PACKET and follows
/// its carrier. A process stands in for QEMU: it opens the persistent TAP, answers ARP and ping, exits
/// (the VM stops) and comes back (the VM starts again).
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct VMTests {
    func state(_ lab: Lab, _ port: String) throws -> String { try lab.portDoc(port)["state"] as? String ?? "" }

    /// The stand-in VM, in the root namespace like QEMU; returns once it holds the TAP.
    func startVM(tap: String, address: String, seconds: Double) throws -> (Process, URL) {
        let out = URL(fileURLWithPath: "/tmp/\(tap)-vm-\(UInt32.random(in: 0...UInt32.max)).out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \(Binaries.helpers)/vm.py \(tap) \(address) \(seconds) > \(out.path) 2>&1"]
        try p.run()
        try waitFor("the VM to open its TAP") { ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains("ready") || !p.isRunning }
        return (p, out)
    }

    @Test func aVMsTapFollowsTheVMStoppingAndStarting() throws {
        let lab = Lab()
        let tap = "\(lab.tag)vm"
        defer { lab.cleanup(); _ = try? Shell.run("ip tuntap del \(tap) mode tap", check: false) }
        try lab.addVethHost(1)
        try Shell.run("ip tuntap add \(tap) mode tap && ip link set \(tap) up")
        try lab.startSwitch(["--port", "afpacket:\(lab.vethPort(1))"])
        #expect(try lab.ctl("port add --device \(tap) --network default").contains("applied: ports +\(tap)"))
        try waitFor("the port to see no carrier") { try state(lab, tap).hasPrefix("down") }

        for run in 1...2 {
            let (vm, out) = try startVM(tap: tap, address: lab.ip(50), seconds: 4)
            defer { if vm.isRunning { vm.terminate() }; try? FileManager.default.removeItem(at: out) }
            try waitFor("the port to come up with the VM (run \(run))") { try state(lab, tap) == "up" }
            #expect(try lab.ping(from: 1, to: 50, count: 2), "the VM answers (run \(run))")
            vm.waitUntilExit()
            try waitFor("the port to go down with the VM (run \(run))") { try state(lab, tap).hasPrefix("down") }
            #expect(try !lab.ping(from: 1, to: 50, count: 1), "nobody answers while the VM is off")
        }
        #expect(try lab.ctl("port del \(tap)").contains("applied: ports -\(tap)"))
    }
}
