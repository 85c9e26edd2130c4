import Foundation
import Testing

/// Runs commands, creates namespaces and interfaces with unique names, and starts a real swiveld.
/// Everything created is removed in `cleanup()`, which tests call from `defer`.
enum Shell {
    struct Result { var status: Int32; var out: String; var err: String }

    @discardableResult
    static func run(_ command: String, check: Bool = true) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting: a full pipe would otherwise block the child forever.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
        if check && r.status != 0 {
            throw Failure("command failed (\(r.status)): \(command)\n\(r.err)\(r.out)")
        }
        return r
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

enum Binaries {
    /// The products built next to the test bundle (swift test builds the executable dependencies).
    static var directory: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: bundleDir.appendingPathComponent("swiveld").path) { return bundleDir }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug")
    }
    static var swiveld: String { directory.appendingPathComponent("swiveld").path }
    static var swivelctl: String { directory.appendingPathComponent("swivelctl").path }
    static var cni: String { directory.appendingPathComponent("swivel-cni").path }
    static var helpers: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers").path }
}

/// A set of namespaces, each with one interface eth0 on 10.<net>.0.<i>/24, attached to the switch by a
/// veth (peer `<tag>v<i>` in the root namespace) or a TAP the switch creates (`<tag>t<i>`).
final class Lab {
    let tag: String
    let subnet: Int
    var namespaces: [String] = []
    var links: [String] = []
    var files: [String] = []
    var daemon: Process?
    var daemonLog: URL
    let socket: String
    var stateFile: String { "/tmp/\(tag)-state.yaml" }

    init() {
        tag = "sw" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        subnet = Int.random(in: 100...250)
        socket = "/tmp/\(tag).sock"
        daemonLog = URL(fileURLWithPath: "/tmp/\(tag)-swiveld.log")
    }

    func ns(_ i: Int) -> String { "\(tag)n\(i)" }
    func ip(_ i: Int) -> String { "10.\(subnet).0.\(i)" }
    func vethPort(_ i: Int) -> String { "\(tag)v\(i)" }
    func tapPort(_ i: Int) -> String { "\(tag)t\(i)" }

    func addNamespace(_ i: Int) throws {
        try Shell.run("ip netns add \(ns(i)) && ip -n \(ns(i)) link set lo up")
        namespaces.append(ns(i))
    }

    /// A namespace behind a veth pair whose root end the switch opens with AF_PACKET. Offloads stay at
    /// their defaults (TSO, checksum offload on), as a container runtime leaves them.
    func addVethHost(_ i: Int) throws {
        try addNamespace(i)
        try Shell.run("ip link add \(vethPort(i)) type veth peer name eth0 netns \(ns(i))")
        links.append(vethPort(i))
        try Shell.run("ip -n \(ns(i)) addr add \(ip(i))/24 dev eth0 && ip -n \(ns(i)) link set eth0 up && ip link set \(vethPort(i)) up")
    }

    /// Moves the TAP the switch created into a namespace, as a container runtime would.
    func adoptTap(_ i: Int) throws {
        try addNamespace(i)
        try waitFor("TAP \(tapPort(i)) to appear") { (try? Shell.run("ip link show \(tapPort(i))"))?.status == 0 }
        try Shell.run("ip link set \(tapPort(i)) netns \(ns(i)) && ip -n \(ns(i)) link set \(tapPort(i)) name eth0")
        try Shell.run("ip -n \(ns(i)) addr add \(ip(i))/24 dev eth0 && ip -n \(ns(i)) link set eth0 up")
    }

    /// No background chatter: IPv6 off (no ND/MLD) and static neighbour entries between the hosts,
    /// so counters and flows see exactly the traffic a test sends.
    func quiet(_ hosts: [Int]) throws {
        for i in hosts { try Shell.run("ip netns exec \(ns(i)) sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1") }
        for i in hosts {
            for j in hosts where j != i {
                try Shell.run("ip -n \(ns(i)) neigh replace \(ip(j)) lladdr \(try mac(j)) dev eth0 nud permanent")
            }
        }
    }

    func mac(_ i: Int) throws -> String {
        try Shell.run("ip netns exec \(ns(i)) cat /sys/class/net/eth0/address").out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Hosts on veth (1...n) and a switch with one AF_PACKET port on each, plus `extra` arguments.
    func startWithVethHosts(_ hosts: ClosedRange<Int>, extra: [String] = []) throws {
        for i in hosts { try addVethHost(i) }
        try startSwitch(hosts.flatMap { ["--port", "afpacket:\(vethPort($0))"] } + extra)
    }

    /// Writes a config file that `cleanup()` removes; returns its path.
    func writeConfig(_ yaml: String, name: String = "config") throws -> String {
        let path = "/tmp/\(tag)-\(name).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        files.append(path)
        return path
    }

    func startSwitch(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.swiveld)
        // A state file of the lab's own: labs never see each other's (or a real installation's) state.
        p.arguments = arguments + ["--socket", socket] + (arguments.contains("--state-file") ? [] : ["--state-file", stateFile])
        _ = FileManager.default.createFile(atPath: daemonLog.path, contents: nil)
        let log = try FileHandle(forWritingTo: daemonLog)
        p.standardOutput = log
        p.standardError = log
        try p.run()
        daemon = p
        // Up to 30 s: a debug build validating and compiling 10 000 rules takes several seconds to start.
        try waitFor("swiveld's API socket", timeout: 30) { FileManager.default.fileExists(atPath: socket) || !p.isRunning }
        guard p.isRunning else { throw Shell.Failure("swiveld exited: \(self.log())") }
    }

    func log() -> String { (try? String(contentsOf: daemonLog, encoding: .utf8)) ?? "" }

    /// One request to swiveld's API with curl: the status and the body.
    func api(_ method: String, _ path: String, body: String? = nil) throws -> (status: Int, body: String) {
        let data = body.map { "-H 'Content-Type: application/json' --data '\($0)'" } ?? ""
        let r = try Shell.run("curl -s -g -o /dev/stdout -w '\\n%{http_code}' --max-time 10 --unix-socket \(socket) -X \(method) \(data) 'http://localhost\(path)'")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    func ctl(_ args: String) throws -> String {
        try Shell.run("\(Binaries.swivelctl) \(args) --socket \(socket)").out
    }

    /// One port's document from `swivelctl port show --json`.
    func portDoc(_ name: String) throws -> [String: Any] {
        let ports = try JSONSerialization.jsonObject(with: Data(try ctl("port show --json").utf8)) as? [[String: Any]] ?? []
        guard let port = ports.first(where: { $0["name"] as? String == name }) else { throw Shell.Failure("no port \(name)") }
        return port
    }

    func ping(from i: Int, to j: Int, count: Int = 3) throws -> Bool {
        try Shell.run("ip netns exec \(ns(i)) ping -c \(count) -i 0.2 -W 2 \(ip(j))", check: false).status == 0
    }

    /// Stops swiveld with SIGTERM and returns its exit status.
    @discardableResult
    func stopSwitch() -> Int32? {
        guard let p = daemon else { return nil }
        if p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        daemon = nil
        return p.terminationStatus
    }

    func cleanup() {
        stopSwitch()
        for n in namespaces { _ = try? Shell.run("ip netns pids \(n) | xargs -r kill -9; ip netns del \(n)", check: false) }
        for l in links { _ = try? Shell.run("ip link del \(l)", check: false) }
        try? FileManager.default.removeItem(atPath: socket)
        try? FileManager.default.removeItem(atPath: stateFile)
        try? FileManager.default.removeItem(at: daemonLog)
        for f in files { try? FileManager.default.removeItem(atPath: f) }
    }
}

func waitFor(_ what: String, timeout: TimeInterval = 10, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    throw Shell.Failure("timed out waiting for \(what)")
}

/// Starts a helper in a namespace in the background; returns the process and its output file.
func startHelper(_ ns: String, _ command: String) throws -> (Process, URL) {
    let out = URL(fileURLWithPath: "/tmp/swivel-helper-\(UInt32.random(in: 0...UInt32.max)).out")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "exec ip netns exec \(ns) \(command) > \(out.path) 2>&1"]
    try p.run()
    try waitFor("helper to be ready") { ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains("ready") || !p.isRunning }
    return (p, out)
}

/// CPU used by a process (all threads) over a window, in percent of one core, from /proc/PID/stat.
func cpuPercent(of pid: Int32, over seconds: Double) throws -> Double {
    func ticks() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Double(fields[11])! + Double(fields[12])!   // utime + stime (fields 14 and 15)
    }
    let before = try ticks()
    usleep(UInt32(seconds * 1_000_000))
    let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (try ticks() - before) / hz / seconds * 100
}
