import Foundation
import Testing

/// Every operation of Docs/openapi.yaml, answered by a real swiveld: documented statuses, answers that
/// match the documented schemas, error cases included (Helpers/openapi_check.py does the checking).
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for namespaces and veth"))
struct APITests {
    static let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Docs/openapi.yaml").path

    @Test func theServerMatchesItsOpenAPIDocument() throws {
        let lab = Lab()
        defer { lab.cleanup() }
        for i in 1...3 { try lab.addVethHost(i) }
        let config = try lab.writeConfig("""
            networks:
              - {name: blue, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}
            routers:
              - {name: edge, networks: [blue]}
            ports:
              - {name: p1, kind: afpacket, device: \(lab.vethPort(1)), network: blue}
              - {name: p2, kind: afpacket, device: \(lab.vethPort(2)), network: blue}
            """)
        try lab.startSwitch(["--config", config, "--socket-group", "root"])
        #expect(try Shell.run("stat -c '%a %G' \(lab.socket)").out.trimmingCharacters(in: .whitespacesAndNewlines) == "660 root",
                "--socket-group opens the socket to the group")
        let p3: [String: Any] = ["name": "p3", "kind": "afpacket", "device": lab.vethPort(3), "network": "blue"]
        let requests: [[Any]] = [
            ["GET", "/v1/health", NSNull()],
            ["GET", "/v1/config", NSNull()],
            ["PUT", "/v1/config?owner=api&dry_run=1", ["ports": [p3]]],
            ["PUT", "/v1/config?owner=api", ["networks": [["name": "x1"]]]],
            ["PUT", "/v1/config?owner=api", ["ports": [["name": "bad", "kind": "tap", "device": "t", "network": "nosuch"]]]],
            ["GET", "/v1/networks/blue", NSNull()],
            ["GET", "/v1/networks/nosuch", NSNull()],
            ["PUT", "/v1/networks/green", ["name": "green"]],
            ["PUT", "/v1/networks/green?dry_run=1", ["name": "other"]],
            ["DELETE", "/v1/networks/green", NSNull()],
            ["DELETE", "/v1/networks/nosuch", NSNull()],
            ["GET", "/v1/routers/edge", NSNull()],
            ["GET", "/v1/routers/nosuch", NSNull()],
            ["PUT", "/v1/routers/r2", ["name": "r2", "networks": [["network": "blue", "address": "10.1.0.2"]]]],
            ["PUT", "/v1/routers/r3", ["name": "r3", "networks": [["network": "nosuch"]]]],
            ["DELETE", "/v1/routers/r2", NSNull()],
            ["DELETE", "/v1/routers/nosuch", NSNull()],
            ["GET", "/v1/ports/p1", NSNull()],
            ["GET", "/v1/ports/nosuch", NSNull()],
            ["PUT", "/v1/ports/p3", p3],
            ["PUT", "/v1/ports/p4", ["name": "p4", "kind": "bridge", "device": "x"]],
            ["DELETE", "/v1/ports/p3", NSNull()],
            ["DELETE", "/v1/ports/nosuch", NSNull()],
            ["PUT", "/v1/security-groups/web", ["name": "web", "rules": [["direction": "ingress", "protocol": "tcp", "ports": "80-81"]]]],
            ["PUT", "/v1/security-groups/bad", ["name": "bad", "rules": [["direction": "sideways"]]]],
            ["GET", "/v1/security-groups/web", NSNull()],
            ["GET", "/v1/security-groups/nosuch", NSNull()],
            ["PUT", "/v1/ports/p5", ["name": "p5", "kind": "afpacket", "device": lab.vethPort(3), "network": "blue",
                                     "addresses": [["mac": "02:00:00:00:00:05", "ips": ["10.1.0.5"]]], "security_groups": ["web"]]],
            ["GET", "/v1/state/acl", NSNull()],
            ["GET", "/v1/state/acl?port=p5", NSNull()],
            ["GET", "/v1/state/acl?port=nosuch", NSNull()],
            ["GET", "/v1/state/conntrack", NSNull()],
            ["GET", "/v1/state/conntrack?port=p5&state=established", NSNull()],
            ["GET", "/v1/state/conntrack?state=sleepy", NSNull()],
            ["GET", "/v1/state/conntrack?port=nosuch", NSNull()],
            ["GET", "/v1/state/conntrack-stats", NSNull()],
            ["GET", "/v1/state/overlay", NSNull()],
            ["POST", "/v1/actions/conntrack-flush", NSNull()],
            ["POST", "/v1/actions/conntrack-flush", ["port": "p5"]],
            ["POST", "/v1/actions/conntrack-flush", ["port": "nosuch"]],
            ["DELETE", "/v1/ports/p5", NSNull()],
            ["DELETE", "/v1/security-groups/web", NSNull()],
            ["DELETE", "/v1/security-groups/nosuch", NSNull()],
            ["GET", "/v1/state/ports", NSNull()],
            ["GET", "/v1/state/fdb", NSNull()],
            ["GET", "/v1/state/flows", NSNull()],
            ["GET", "/v1/state/drops", NSNull()],
            ["GET", "/v1/state/counters", NSNull()],
            ["GET", "/v1/state/routes", NSNull()],
            ["GET", "/v1/state/neighbors", NSNull()],
            ["POST", "/v1/actions/fdb-flush", NSNull()],
            ["POST", "/v1/actions/fdb-flush", ["network": "nosuch"]],
            ["POST", "/v1/actions/fdb-add", ["network": "blue", "port": "p1", "mac": "02:00:00:00:00:77"]],
            ["POST", "/v1/actions/fdb-add", ["network": "blue", "port": "p1", "mac": "ff:ff:ff:ff:ff:ff"]],
            ["POST", "/v1/actions/fdb-del", ["network": "blue", "mac": "02:00:00:00:00:77"]],
            ["POST", "/v1/actions/fdb-del", ["network": "blue", "mac": "02:00:00:00:00:77"]],
            ["POST", "/v1/actions/flows-flush", NSNull()],
            ["POST", "/v1/actions/route-add", ["router": "edge", "to": "10.9.0.0/16", "via": "10.1.0.254"]],
            ["POST", "/v1/actions/route-add", ["router": "nosuch", "to": "10.9.0.0/16", "via": "10.1.0.254"]],
            ["POST", "/v1/actions/route-add", ["router": "edge", "to": "10.9.0.0/33", "via": "10.1.0.254"]],
            ["POST", "/v1/actions/route-del", ["router": "edge", "to": "10.9.0.0/16"]],
            ["POST", "/v1/actions/route-del", ["router": "edge", "to": "10.9.0.0/16"]],
            ["POST", "/v1/actions/trace", ["port": "p1", "packet": "ip_dst=10.1.0.5,udp"]],
            ["POST", "/v1/actions/trace", ["port": "nosuch", "packet": "udp"]],
            ["POST", "/v1/actions/trace-live", ["port": "p1", "count": 1, "timeout": 0.3]],
            ["POST", "/v1/actions/trace-live", ["port": "p1", "count": 0]],
            ["GET", "/v1/capture?port=p1&duration=0.3", NSNull()],
            ["GET", "/v1/capture", NSNull()],
            ["GET", "/v1/capture?port=nosuch", NSNull()],
        ]
        let file = try lab.writeConfig(String(decoding: try JSONSerialization.data(withJSONObject: requests), as: UTF8.self), name: "requests")
        let result = try Shell.run("\(Binaries.helpers)/openapi_check.py \(lab.socket) \(Self.spec) \(file)", check: false)
        #expect(result.status == 0 && result.out.hasPrefix("ok "), "\(result.out)\(result.err)")

        // swivelctl: global options before the command words too, and exit codes scripts can tell apart.
        let before = try Shell.run("\(Binaries.swivelctl) --socket \(lab.socket) --json port show", check: false)
        let ports = try JSONSerialization.jsonObject(with: Data(before.out.utf8)) as? [[String: Any]]
        #expect(before.status == 0 && ports?.compactMap { $0["name"] as? String }.contains("p1") == true, "\(before.out)\(before.err)")
        let refused = try Shell.run("\(Binaries.swivelctl) --socket \(lab.socket) route del --router nosuch --to 10.0.0.0/8", check: false)
        #expect(refused.status == 1 && refused.err.contains("404 unknown-router"), "\(refused.err)")
        let unreachable = try Shell.run("\(Binaries.swivelctl) --socket \(lab.socket).nosuch port show", check: false)
        #expect(unreachable.status == 2 && unreachable.err.contains("cannot reach swiveld"), "\(unreachable.err)")
        #expect(try Shell.run("\(Binaries.swivelctl) port shw --socket \(lab.socket)", check: false).status == 64)
    }
}
