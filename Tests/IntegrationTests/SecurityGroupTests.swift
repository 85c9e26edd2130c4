import Foundation
import Testing

/// Security groups with connection tracking through a real swiveld: namespaces `web` (host 1) and `db`
/// (host 2), where db's group admits tcp/5432 from web's group only.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct SecurityGroupIntegrationTests {
    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    func config(_ lab: Lab, dbRules: String, extraGroups: String = "") throws -> String {
        """
        security_groups:
          - name: web
            rules: []
          - name: db
            rules:
        \(dbRules)
        \(extraGroups)
        ports:
          - name: web
            kind: afpacket
            device: \(lab.vethPort(1))
            addresses: [{mac: "\(try lab.mac(1))", ips: [\(lab.ip(1))]}]
            security_groups: [web]
          - name: db
            kind: afpacket
            device: \(lab.vethPort(2))
            addresses: [{mac: "\(try lab.mac(2))", ips: [\(lab.ip(2))]}]
            security_groups: [db]
        """
    }

    static let postgres = "      - {direction: ingress, protocol: tcp, ports: 5432, remote_group: web}"

    func sg(_ lab: Lab, _ host: Int, _ args: String) throws -> String {
        try Shell.run("ip netns exec \(lab.ns(host)) \(Binaries.helpers)/sg.py \(args)").out
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func drops(_ lab: Lab, _ port: String) throws -> [String: Int] {
        try lab.portDoc(port)["drops"] as? [String: Int] ?? [:]
    }

    @Test func onlyTheAllowedServiceIsReachableAndARuleChangeEndsItsConnections() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        let file = try lab.writeConfig(try config(lab, dbRules: Self.postgres))
        try lab.startSwitch(["--config", file])
        try lab.quiet([1, 2])
        let (server, serverOut) = try startHelper(lab.ns(2), "\(Binaries.helpers)/sg.py serve tcp:5432 tcp:22 udp:5353")
        defer { if server.isRunning { server.terminate() }; try? FileManager.default.removeItem(at: serverOut) }

        #expect(try sg(lab, 1, "connect \(lab.ip(2)) 5432") == "connected echo=ok", "tcp/5432 is allowed, replies pass")
        // Refused: no SYN-ACK ever arrives (not even a reset: the SYN never reached db).
        #expect(try sg(lab, 1, "connect \(lab.ip(2)) 22") == "timeout")
        #expect(try sg(lab, 1, "udp \(lab.ip(2)) 5353") == "udp=none")
        #expect(try !lab.ping(from: 1, to: 2, count: 1))
        var dbDrops = try drops(lab, "db")
        // The SYN to 22 and its retransmission(s), the datagram, the echo request.
        #expect((dbDrops["acl-default-deny"] ?? 0) >= 3, "\(dbDrops)")

        // The rule that allowed 5432 has the hit; the connection is in both zones.
        let acl = try json(try lab.ctl("acl show --port db --json"))
        let rules = try #require(acl["rules"] as? [[String: Any]])
        let allow = try #require(rules.first { $0["group"] as? String == "db" })
        #expect(allow["hits"] as? Int == 1 && allow["rule"] as? String == "ingress tcp 5432 from group web", "\(allow)")
        let conns = try lab.ctl("conntrack show --port db")
        #expect(conns.contains("\(lab.ip(1))") && conns.contains(":5432"), "\(conns)")

        // Ping only after an icmp rule arrives through the API (no restart).
        let withPing = #"{"name": "db", "rules": [{"direction": "ingress", "protocol": "tcp", "ports": 5432, "remote_group": "web"}, {"direction": "ingress", "protocol": "icmp", "icmp_type": 8}]}"#
        let put = try Shell.run("curl -sS --unix-socket \(lab.socket) -X PUT -H 'Content-Type: application/json' -d '\(withPing)' http://swiveld/v1/security-groups/db").out
        #expect(put.contains("\"changed\":[\"db\"]"), "\(put)")
        #expect(try lab.ping(from: 1, to: 2, count: 2))

        // A trace of what would happen to ssh names the deciding rule, and changes nothing.
        let trace = try lab.ctl("trace --port web 'eth_src=\(try lab.mac(1)),eth_dst=\(try lab.mac(2)),ip_src=\(lab.ip(1)),ip_dst=\(lab.ip(2)),tcp,tcp_dst=22'")
        #expect(trace.contains("into db (ingress rules): denied; rule 0") && trace.contains("drop: acl-default-deny"), "\(trace)")

        // A change that still allows an established connection leaves it alone.
        let keep = "/tmp/\(lab.tag)-keep"
        lab.files.append(keep)
        let (kept, keptOut) = try startHelper(lab.ns(1), "\(Binaries.helpers)/sg.py hold \(lab.ip(2)) 5432 \(keep)")
        defer { if kept.isRunning { kept.terminate() }; try? FileManager.default.removeItem(at: keptOut) }
        let withUDP = try lab.writeConfig(try config(lab, dbRules: Self.postgres + "\n      - {direction: ingress, protocol: udp, ports: 5353, remote_group: web}"),
                                          name: "with-udp")
        #expect(try lab.ctl("apply -f \(withUDP)").contains("security groups ~db"))
        FileManager.default.createFile(atPath: keep, contents: nil)
        kept.waitUntilExit()
        #expect(try String(contentsOf: keptOut, encoding: .utf8).contains("after=ok"), "an unrelated rule change broke a connection")
        #expect(try sg(lab, 1, "udp \(lab.ip(2)) 5353") == "udp=ok")

        // An established connection ends when the rule that allowed it goes away.
        let trigger = "/tmp/\(lab.tag)-go"
        lab.files.append(trigger)
        let (holder, holderOut) = try startHelper(lab.ns(1), "\(Binaries.helpers)/sg.py hold \(lab.ip(2)) 5432 \(trigger)")
        defer { if holder.isRunning { holder.terminate() }; try? FileManager.default.removeItem(at: holderOut) }
        let revokedBefore = try json(try lab.ctl("conntrack stats --json"))["revoked"] as? Int ?? -1
        let noPostgres = try lab.writeConfig(try config(lab, dbRules: "      - {direction: ingress, protocol: icmp, icmp_type: 8}"),
                                             name: "no-postgres")
        _ = try lab.ctl("apply -f \(noPostgres)")
        FileManager.default.createFile(atPath: trigger, contents: nil)
        holder.waitUntilExit()
        let held = try String(contentsOf: holderOut, encoding: .utf8)
        #expect(held.contains("after=none"), "data passed after its rule was removed: \(held)")
        let stats = try json(try lab.ctl("conntrack stats --json"))
        #expect((stats["revoked"] as? Int ?? 0) > revokedBefore, "\(stats)")
        #expect((try drops(lab, "db")["ct-revoked"] ?? 0) >= 1)
        #expect(try sg(lab, 1, "connect \(lab.ip(2)) 5432") == "timeout", "new connections are refused too")

        // db answering what web never asked: an unsolicited SYN-ACK and ACK are invalid and never reach web.
        try waitFor("the revoked connection's retransmissions to stop") {
            let before = try drops(lab, "db")["ct-invalid"] ?? 0
            usleep(1_500_000)
            return try drops(lab, "db")["ct-invalid"] ?? 0 == before
        }
        dbDrops = try drops(lab, "db")
        let webTx = try lab.portDoc("web")["tx_packets"] as? Int ?? -1
        #expect(try sg(lab, 2, "inject \(lab.ip(2)) \(lab.ip(1)) \(try lab.mac(1)) 5432 41999") == "injected 2")
        try waitFor("the injected frames to be counted") { try drops(lab, "db")["ct-invalid"] ?? 0 >= (dbDrops["ct-invalid"] ?? 0) + 2 }
        #expect(try drops(lab, "db")["ct-invalid"] == (dbDrops["ct-invalid"] ?? 0) + 2)
        #expect(try lab.portDoc("web")["tx_packets"] as? Int == webTx, "web was sent something")
        #expect(lab.daemon?.isRunning == true)
    }

    @Test func tenThousandRulesStillAdmitTheServiceAndAFullTableStaysBounded() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        // 9 999 rules for other clients (distinct /32s and port ranges) plus the one that matters.
        var rules: [String] = []
        for i in 0..<9_999 {
            rules.append("      - {direction: ingress, protocol: tcp, ports: \(6000 + i % 50)-\(6000 + i % 50 + 10), remote: 172.16.\(i / 250).\(i % 250)/32}")
        }
        rules.append(Self.postgres)
        rules.append("      - {direction: ingress, protocol: udp, ports: 7000, remote_group: web}")
        let file = try lab.writeConfig(try config(lab, dbRules: rules.joined(separator: "\n")))
        try lab.startSwitch(["--config", file, "--conntrack-max", "64"])
        try lab.quiet([1, 2])
        let (server, serverOut) = try startHelper(lab.ns(2), "\(Binaries.helpers)/sg.py serve tcp:5432 udp:7000")
        defer { if server.isRunning { server.terminate() }; try? FileManager.default.removeItem(at: serverOut) }

        #expect(try sg(lab, 1, "connect \(lab.ip(2)) 5432") == "connected echo=ok")
        let acl = try json(try lab.ctl("acl show --port db --json"))
        let ports = try #require(acl["ports"] as? [[String: Any]])
        let tuples = try #require(ports.first?["classifier_tuples"] as? Int)
        #expect(tuples < 40, "10 000 rules compile to a handful of tuples, not a list: \(tuples)")
        #expect((acl["rules"] as? [[String: Any]])?.count ?? 0 >= 10_001)

        // 300 one-way UDP flows from web: replies come back for each, but the table holds 64 connections per
        // switch; the rest evict the oldest unestablished or are refused, counted, never a crash.
        #expect(try sg(lab, 1, "udpflood \(lab.ip(2)) 7000 300") == "sent 300")
        let stats = try json(try lab.ctl("conntrack stats --json"))
        #expect(stats["entries"] as? Int ?? 999 <= 64 && stats["capacity"] as? Int == 64, "\(stats)")
        let evicted = stats["evicted"] as? Int ?? 0, refused = stats["refused"] as? Int ?? 0
        #expect(evicted + refused > 0, "\(stats)")
        if refused > 0 { #expect((try drops(lab, "web")["ct-table-full"] ?? 0) + (try drops(lab, "db")["ct-table-full"] ?? 0) > 0) }
        #expect(lab.daemon?.isRunning == true)
        // Answered flows count as established and are not evicted (as Linux keeps assured entries): until
        // they time out, a flush makes room.
        let flushed = try json(try lab.ctl("conntrack flush"))["flushed"] as? Int ?? 0
        #expect(flushed > 0 && flushed <= 64)
        #expect(try sg(lab, 1, "connect \(lab.ip(2)) 5432") == "connected echo=ok", "the switch admits new connections again")
    }

    /// Conntrack is not persisted: after a restart an established TCP connection is dropped as invalid,
    /// unless loose mode picks it up mid-stream.
    @Test(arguments: [false, true]) func establishedTCPAcrossARestart(loose: Bool) throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...2 { try lab.addVethHost(i) }
        let file = try lab.writeConfig(try config(lab, dbRules: Self.postgres))
        let arguments = ["--config", file] + (loose ? ["--conntrack-loose"] : [])
        try lab.startSwitch(arguments)
        try lab.quiet([1, 2])
        let (server, serverOut) = try startHelper(lab.ns(2), "\(Binaries.helpers)/sg.py serve tcp:5432")
        defer { if server.isRunning { server.terminate() }; try? FileManager.default.removeItem(at: serverOut) }
        let trigger = "/tmp/\(lab.tag)-restarted"
        lab.files.append(trigger)
        let (holder, holderOut) = try startHelper(lab.ns(1), "\(Binaries.helpers)/sg.py hold \(lab.ip(2)) 5432 \(trigger)")
        defer { if holder.isRunning { holder.terminate() }; try? FileManager.default.removeItem(at: holderOut) }
        #expect(lab.stopSwitch() == 0)
        try lab.startSwitch(arguments)
        FileManager.default.createFile(atPath: trigger, contents: nil)
        holder.waitUntilExit()
        let held = try String(contentsOf: holderOut, encoding: .utf8)
        #expect(held.contains(loose ? "after=ok" : "after=none"), "\(held)")
        let stats = try json(try lab.ctl("conntrack stats --json"))
        #expect(stats["loose"] as? Bool == loose)
        if !loose { #expect((try drops(lab, "web")["ct-invalid"] ?? 0) >= 1, "web's own zone refuses the mid-stream segment") }
    }
}
