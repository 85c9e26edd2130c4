import Foundation
import Testing
import Yams
@testable import SwivelControl
import SwivelYAML

/// The rule table is the one place ranges and formats live: the JSON API's documents, the YAML reader's
/// and the OpenAPI spec all follow it.
@Suite struct ValidatorTests {
    /// Values the API used to take and the datapath trapped on or quietly ignored (the issue's list).
    @Test func hostileAPIValuesAreRefusedWithTheirPath() throws {
        let json = """
            {"networks": [{"name": "x", "vlan": 70000, "vni": 16777216, "mtu": 10, "fdb": {"aging_seconds": 0, "max_entries": -1},
                           "subnets": [{"cidr": "10.0.0.0/40", "gateway": "10.0.0.1/24"}]}],
             "ports": [{"name": "p", "kind": "tap", "device": "../etc", "network": "x", "storm_control_pps": 0, "max_macs": 0,
                        "addresses": [{"mac": "02-00-00-00-00-01", "ips": ["10.0.0.5/24"]}], "static_macs": ["01:00:5e:00:00:01"]}],
             "security_groups": [{"name": "g", "rules": [{"direction": "ingress", "protocol": "tcp", "ports": 70000, "priority": -1}]}],
             "overlay": {"local_ip": "192.0.2.1", "udp_port": 0, "ttl": 256}}
            """
        let config = try JSONDecoder().decode(NetworkConfig.self, from: Data(json.utf8))
        let errors = Validator.validate(config, file: "api")
        let paths = Set(errors.map(\.path))
        for expected in ["networks.x.vlan", "networks.x.vni", "networks.x.mtu", "networks.x.fdb.aging_seconds",
                         "networks.x.fdb.max_entries", "networks.x.subnets[0].cidr", "networks.x.subnets[0].gateway",
                         "ports.p.device", "ports.p.storm_control_pps", "ports.p.max_macs", "ports.p.addresses[0].mac",
                         "ports.p.addresses[0].ips[0]", "ports.p.static_macs[0]", "security_groups.g.rules[0].ports",
                         "security_groups.g.rules[0].priority", "overlay.udp_port", "overlay.ttl"] {
            #expect(paths.contains(expected), "no error at \(expected): \(errors)")
        }
        #expect(errors.allSatisfy { $0.object != nil })
    }

    @Test func theSameDocumentAsYAMLGetsTheSameRules() throws {
        let yaml = "networks:\n  - {name: x, vlan: 70000}\nports:\n  - {name: p, kind: tap, device: t, addresses: [{mac: 02-00-00-00-00-01}]}\n"
        #expect(throws: ConfigErrors.self) { try ConfigLoader.parse(yaml, file: "f") }
        do { _ = try ConfigLoader.parse(yaml, file: "f") } catch {
            #expect(Set(error.errors.map(\.path)) == ["networks.x.vlan", "ports.p.addresses[0].mac"])
        }
    }

    @Test func portAddressCannotBeARouterAddress() throws {
        let yaml = """
            networks: [{name: a, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}]
            routers: [{name: r, networks: [a]}]
            ports: [{name: p, kind: tap, device: t, network: a, addresses: [{mac: "02:00:00:00:00:01", ips: [10.1.0.1]}]}]
            """
        do {
            _ = try ConfigLoader.parse(yaml, file: "f")
            Issue.record("a port holding the router's address was accepted")
        } catch {
            #expect(error.errors.map(\.description) == ["f:3:9: ports.p.addresses: 10.1.0.1 is router 'r''s address in network 'a'"])
        }
    }

    /// The hand-written checks and the patterns the OpenAPI spec states agree: on the examples, and on
    /// random strings over each format's alphabet.
    @Test func everyFormatAgreesWithItsPattern() throws {
        var generator = SystemRandomNumberGenerator()
        for f in TextFormat.allCases {
            let regex = try NSRegularExpression(pattern: f.pattern)
            func matches(_ s: String) -> Bool { regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
            // Extra checks the pattern cannot state: these may refuse what the pattern matches, never the reverse.
            let stricter: Set<TextFormat> = [.interfaceName, .ipAddress, .portRange]
            let alphabet = Array("0123456789abcdefABCDEF:.-/_@+ 9x\u{0}")
            for _ in 0..<3000 {
                let n = Int.random(in: 0...20, using: &generator)
                let s = String((0..<n).map { _ in alphabet.randomElement(using: &generator)! })
                if stricter.contains(f) {
                    if f.accepts(s) { #expect(matches(s), "\(f) accepts '\(s)' which its pattern refuses") }
                } else {
                    #expect(f.accepts(s) == matches(s), "\(f) and its pattern disagree on '\(s)'")
                }
            }
        }
    }

    @Test func everyFormatJudgesExamples() {
        let cases: [(TextFormat, String, Bool)] = [
            (.name, "blue", true), (.name, "", false), (.name, "a/b", false), (.name, "-x", false), (.name, String(repeating: "a", count: 64), false),
            (.interfaceName, "veth-c1", true), (.interfaceName, "..", false), (.interfaceName, "a b", false), (.interfaceName, "sixteen-chars-xx", false),
            (.unicastMAC, "02:00:00:00:00:0A", true), (.unicastMAC, "01:00:5e:00:00:01", false), (.unicastMAC, "02-00-00-00-00-01", false),
            (.ipv4, "10.0.0.1", true), (.ipv4, "10.0.0.256", false), (.ipv4, "10.0.0.1/24", false), (.ipv4, "010.0.0.1", false),
            (.ipAddress, "2001:db8::1", true), (.ipAddress, "10.0.0.1", true), (.ipAddress, "2001:db8::1/64", false), (.ipAddress, ":::", false),
            (.ipv4Prefix, "10.0.0.0/8", true), (.ipv4Prefix, "10.0.0.0/33", false),
            (.portRange, "80", true), (.portRange, "80-90", true), (.portRange, "90-80", false), (.portRange, "65536", false),
            (.freeText, "a web server", true), (.freeText, "bad\u{0}", false),
        ]
        for (format, text, valid) in cases { #expect(format.accepts(text) == valid, "\(format) '\(text)'") }
    }

    /// A state file as an older version wrote it, holding values this version refuses.
    static let oldStateFile = """
        networks:
          - {name: good, vlan: 10, owner: api}
          - {name: bad, vlan: 70000, owner: api}
        ports:
          - {name: p1, kind: tap, device: t1, network: good, owner: api}
          - {name: p2, kind: tap, device: t2, network: bad, owner: cni}
          - {name: p3, kind: tap, device: t3, owner: api, addresses: [{mac: 02-00-00-00-00-03, ips: [10.0.0.3/24]}]}
        security_groups:
          - {name: sg, rules: [{direction: ingress, protocol: tcp, ports: 99999}]}
        """

    @Test func recoveryKeepsWhatValidatesAndSetsAsideTheRest() throws {
        #expect(throws: ConfigErrors.self) { try ConfigLoader.parse(Self.oldStateFile, file: "state.yaml") }
        let (config, rejected) = StateRecovery.recover(Self.oldStateFile, file: "state.yaml")
        #expect(config.networks.map(\.name) == ["good"])
        #expect(config.ports.map(\.name) == ["p1"])
        #expect(config.securityGroups.isEmpty)
        #expect(Validator.validate(config, file: "state.yaml").isEmpty)
        // p2 only refers to the refused network: refused in the next round, with its own reason.
        #expect(Set(rejected.map(\.object)) == ["networks[1]", "ports[2]", "security_groups[0]", "ports[1]"])
        let p2 = try #require(rejected.first { $0.text.contains("p2") })
        #expect(p2.reasons.contains { $0.contains("unknown network 'bad'") })
        let report = StateRecovery.report(rejected, source: "state.yaml")
        #expect(report.contains("vlan: must be between 1 and 4094, got 70000"))
        #expect(report.contains("''10.0.0.3/24'' is not an IPv4 or IPv6 address"))
        // The report is YAML (objects, with the reasons as comments).
        #expect(throws: Never.self) { try Yams.compose(yaml: report) }
    }

    @Test func recoveryOfAnUnreadableFileSetsTheWholeFileAside() {
        let (config, rejected) = StateRecovery.recover("ports: [ {name: x", file: "s")
        #expect(config == NetworkConfig())
        #expect(rejected.count == 1 && rejected[0].object == "" && rejected[0].text == "ports: [ {name: x")
    }

    /// Docs/openapi.yaml states each rule of the table as minimum/maximum, pattern or enum.
    @Test func openAPISpecCarriesTheRuleTable() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Docs/openapi.yaml")
        let spec = try #require(try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        let schemas = try #require((spec["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func resolve(_ node: Any?) -> [String: Any]? {
            guard let d = node as? [String: Any] else { return nil }
            if let ref = d["$ref"] as? String { return resolve(schemas[String(ref.split(separator: "/").last ?? "")]) }
            return d
        }
        for rule in FieldRule.table {
            var node = resolve(schemas["NetworkConfig"])
            for segment in rule.path.replacingOccurrences(of: "[]", with: ".[]").split(separator: ".") {
                switch segment {
                case "[]": node = resolve(node?["items"])
                case "*": node = resolve(node?["additionalProperties"])
                default: node = resolve((node?["properties"] as? [String: Any])?[String(segment)])
                }
            }
            guard let schema = node else { Issue.record("\(rule.path) is not in Docs/openapi.yaml"); continue }
            switch rule.check {
            case .integer(let range):
                #expect(schema["minimum"] as? Int == range.lowerBound && schema["maximum"] as? Int == range.upperBound,
                        "\(rule.path): minimum/maximum should be \(range)")
            case .text(let format):
                #expect(schema["pattern"] as? String == format.pattern, "\(rule.path): pattern should be \(format.pattern)")
            case .oneOf(let values):
                #expect((schema["enum"] as? [Any])?.map { "\($0)" }.sorted() == values.sorted(), "\(rule.path): enum should be \(values)")
            }
        }
    }

    /// Found by FuzzCNI: an interface name with '@' made a port name the API refuses.
    @Test func cniPortNamesAreNamesForEveryValidInterfaceName() throws {
        let conf = try NetConf.parse(Data(#"{"cniVersion": "1.0.0", "name": "n"}"#.utf8))
        for ifname in ["eth0", "@eth0", "a+b", "x.y", "-", "_"] {
            let env = CNIEnvironment(["CNI_CONTAINERID": "abcdef1851234567", "CNI_IFNAME": ifname])
            #expect(throws: Never.self) { try env.validate(conf) }
            #expect(TextFormat.name.accepts(env.portName), "\(ifname) -> \(env.portName)")
        }
        let a = CNIEnvironment(["CNI_CONTAINERID": "c1", "CNI_IFNAME": "a@b"]), b = CNIEnvironment(["CNI_CONTAINERID": "c1", "CNI_IFNAME": "a_b"])
        #expect(a.portName != b.portName)
    }
}

/// The error codes the API can answer are the ones its spec lists, both ways.
@Suite struct APIErrorCodeTests {
    @Test func openAPISpecListsEveryErrorCode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Docs/openapi.yaml")
        let spec = try #require(try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        let error = (((((spec["components"] as? [String: Any])?["responses"] as? [String: Any])?["Error"] as? [String: Any])?["content"]
            as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
        let code = (((error?["properties"] as? [String: Any])?["error"] as? [String: Any])?["properties"] as? [String: Any])?["code"] as? [String: Any]
        let listed = try #require(code?["enum"] as? [String])
        #expect(Set(listed) == Set(APIErrorCode.allCases.map(\.rawValue)))
        #expect(listed.count == APIErrorCode.allCases.count)
    }

    @Test func anAddressAnotherPortHoldsHasItsOwnCode() throws {
        let yaml = """
            networks: [{name: a, subnets: [{cidr: 10.1.0.0/24}]}]
            ports:
              - {name: p, kind: tap, device: t1, network: a, addresses: [{mac: "02:00:00:00:00:01", ips: [10.1.0.5]}]}
              - {name: q, kind: tap, device: t2, network: a, addresses: [{mac: "02:00:00:00:00:02", ips: [10.1.0.5]}]}
            """
        do {
            _ = try ConfigLoader.parse(yaml, file: "f")
            Issue.record("two ports holding one address were accepted")
        } catch {
            #expect(error.errors.map(\.code) == [.addressInUse])
        }
        #expect(APIErrorCode.unknown("security group") == .unknownSecurityGroup)
        #expect(APIErrorCode.unknownSecurityGroup.isNotFound && !APIErrorCode.addressInUse.isNotFound)
    }
}
