import Foundation
import Testing
@testable import SwivelControl
import SwivelYAML

@Suite struct ConfigTests {
    @Test func parsesNetworksAndPorts() throws {
        let yaml = """
            networks:
              - name: blue
                vlan: 10
                fdb:
                  aging_seconds: 60
                  max_entries: 1024
            ports:
              - name: c1
                kind: afpacket
                device: veth-c1
                network: blue
              - name: c2
                kind: tap
                device: tap-c2
            """
        let c = try ConfigLoader.parse(yaml, file: "swivel.yaml")
        #expect(c.networks == [NetworkSpec(name: "blue", vlan: 10, fdb: FDBSettings(agingSeconds: 60, maxEntries: 1024))])
        #expect(c.ports == [PortSpec(name: "c1", kind: .afpacket, device: "veth-c1", network: "blue", owner: "config"),
                            PortSpec(name: "c2", kind: .tap, device: "tap-c2", owner: "config")])
        #expect(c.ports[1].untaggedNetwork == "default")
    }

    @Test func portFDBKeys() throws {
        let c = try ConfigLoader.parse("ports:\n  - {name: a, kind: afpacket, device: v1, max_macs: 16, static_macs: [02:00:00:00:00:AA]}\n", file: "f")
        #expect(c.ports[0].maxMacs == 16 && c.ports[0].staticMacs == ["02:00:00:00:00:aa"])
    }

    @Test func emptyFileIsAnEmptyState() throws {
        #expect(try ConfigLoader.parse("", file: "f") == NetworkConfig())
    }

    struct Broken: CustomTestStringConvertible, Sendable {
        var yaml: String
        var expected: [String]   // each error rendered as file:line:col: path: reason
        var testDescription: String { expected.first ?? "" }
    }

    static let broken: [Broken] = [
        Broken(yaml: "security_groups:\n  - name: db\n    rules:\n      - {direction: inbound, protocol: sctp, ports: 99999, remote_group: nobody, action: maybe}\n",
               expected: ["f.yaml:4:21: security_groups.db.rules[0].direction: expected one of ingress, egress, got 'inbound'",
                          "f.yaml:4:40: security_groups.db.rules[0].protocol: expected one of tcp, udp, icmp, any, got 'sctp'",
                          "f.yaml:4:53: security_groups.db.rules[0].ports: ports are for tcp and udp rules",
                          "f.yaml:4:53: security_groups.db.rules[0].ports: '99999' is not a port (0-65535) or a range 'from-to' with from <= to",
                          "f.yaml:4:74: security_groups.db.rules[0].remote_group: unknown security group 'nobody'",
                          "f.yaml:4:90: security_groups.db.rules[0].action: expected one of allow, deny, got 'maybe'"]),
        Broken(yaml: "security_groups:\n  - name: db\n    rules:\n      - {direction: ingress, protocol: tcp, ports: 90-80, remote: 10.0.0.0/33}\n      - {direction: ingress, protocol: icmp, icmp_code: 1, ethertype: ipv6}\n",
               expected: ["f.yaml:4:52: security_groups.db.rules[0].ports: '90-80' is not a port (0-65535) or a range 'from-to' with from <= to",
                          "f.yaml:4:67: security_groups.db.rules[0].remote: '10.0.0.0/33' is not an IPv4 prefix (a.b.c.d/len)",
                          "f.yaml:5:71: security_groups.db.rules[1].ethertype: IPv6 rules are not supported yet: guarded ports pass only IPv6 neighbour discovery",
                          "f.yaml:5:9: security_groups.db.rules[1].icmp_code: icmp_code needs icmp_type"]),
        Broken(yaml: "security_groups:\n  - name: db\nports:\n  - {name: p, kind: tap, device: t1, security_groups: [db, web]}\n",
               expected: ["f.yaml:4:5: ports.p.security_groups: unknown security group 'web'",
                          "f.yaml:4:5: ports.p.security_groups: a port with security groups needs 'addresses' with its MAC and IPv4 addresses (group membership follows them, and port security keeps them from being spoofed)"]),
        Broken(yaml: "ports:\n  - name: p\n    kind: afpacket\n    device: v1\n    colour: red\n",
               expected: ["f.yaml:5:5: ports[0].colour: unknown key 'colour' (expected one of: name, kind, device, network, trunk, native, addresses, security_groups, owner, max_macs, static_macs, storm_control_pps, offloads, labels)"]),
        Broken(yaml: "ports:\n  - name: p\n    kind: bridge\n    device: v1\n",
               expected: ["f.yaml:3:11: ports[0].kind: expected one of afpacket, tap, got 'bridge'"]),
        Broken(yaml: "ports:\n  - name: p\n    kind: afpacket\n",
               expected: ["f.yaml:2:5: ports[0]: missing required key 'device'"]),
        Broken(yaml: "networks:\n  - name: blue\n    vlan: 5000\n",
               expected: ["f.yaml:3:11: networks.blue.vlan: must be between 1 and 4094, got 5000"]),
        Broken(yaml: "networks: [\n", expected: ["f.yaml:2:1: : YAML syntax: did not find expected node content"]),
        Broken(yaml: "ports:\n  - {name: a, kind: afpacket, device: v1, network: green}\n  - {name: a, kind: tap, device: v1}\n",
               expected: ["f.yaml:3:5: ports.a: duplicate port name 'a'",
                          "f.yaml:3:5: ports.a.device: device 'v1' is already used by port 'a'",
                          "f.yaml:2:5: ports.a.network: unknown network 'green'"]),
        Broken(yaml: "ports:\n  - {name: a, kind: afpacket, device: this-name-is-too-long}\n",
               expected: ["f.yaml:2:39: ports.a.device: 'this-name-is-too-long' is not an interface name of 1-15 letters, digits, '_', '.', '@', '+' or '-' (not '.' or '..')"]),
        Broken(yaml: "ports:\n  - {name: a, kind: tap, device: t1, static_macs: [01:00:5e:00:00:01]}\n",
               expected: ["f.yaml:2:52: ports.a.static_macs[0]: '01:00:5e:00:00:01' is not a unicast MAC address (xx:xx:xx:xx:xx:xx, group bit clear)"]),
        Broken(yaml: "ports:\n  - {name: a, kind: tap, device: t1, static_macs: [02:00:00:00:00:01]}\n  - {name: b, kind: tap, device: t2, static_macs: [02:00:00:00:00:01]}\n",
               expected: ["f.yaml:3:5: ports.b.static_macs: 02:00:00:00:00:01 is already static on port 'a' in network 'default'"]),
        Broken(yaml: "networks:\n  - {name: a, vlan: 10}\n  - {name: b, vlan: 10}\n",
               expected: ["f.yaml:3:5: networks.b.vlan: vlan 10 is already used by network 'a'"]),
        Broken(yaml: "networks:\n  - {name: a, vlan: 10}\n  - {name: b}\nports:\n  - {name: t, kind: afpacket, device: v1, network: a, trunk: [a, b, a, c], native: z}\n",
               expected: ["f.yaml:5:5: ports.t: a port is an access port ('network') or a trunk ('trunk'), not both",
                          "f.yaml:5:5: ports.t.trunk: network 'b' has no vlan: a trunk carries networks tagged with their vlan",
                          "f.yaml:5:5: ports.t.trunk: network 'a' is listed twice",
                          "f.yaml:5:5: ports.t.trunk: unknown network 'c'",
                          "f.yaml:5:5: ports.t.native: unknown network 'z'"]),
        Broken(yaml: "networks:\n  - {name: a, vlan: 10}\nports:\n  - {name: t, kind: afpacket, device: v1, trunk: [a], addresses: [{mac: 02:00:00:00:00:01}]}\n  - {name: u, kind: tap, device: t1, native: a}\n",
               expected: ["f.yaml:4:5: ports.t.addresses: port security (addresses) is for access ports, not trunks",
                          "f.yaml:5:5: ports.u.native: 'native' needs 'trunk' (an access port uses 'network')"]),
        Broken(yaml: "ports:\n  - name: p\n    kind: tap\n    device: t1\n    addresses:\n      - mac: 02:00:00:00:00:01\n        ips: [10.0.0.1, 10.0.0.300, fe80::1]\n      - {ips: [10.0.0.2]}\n",
               expected: ["f.yaml:8:9: ports[0].addresses[1]: missing required key 'mac'"]),
        // An address with a prefix length, or with dashes in its MAC, would switch port security off.
        Broken(yaml: "ports:\n  - name: p\n    kind: tap\n    device: t1\n    addresses:\n      - mac: 02-00-00-00-00-01\n        ips: [10.0.0.1, 10.0.0.300, fe80::1, 10.0.0.5/24]\n",
               expected: ["f.yaml:6:14: ports.p.addresses[0].mac: '02-00-00-00-00-01' is not a unicast MAC address (xx:xx:xx:xx:xx:xx, group bit clear)",
                          "f.yaml:7:25: ports.p.addresses[0].ips[1]: '10.0.0.300' is not an IPv4 or IPv6 address without a prefix length",
                          "f.yaml:7:46: ports.p.addresses[0].ips[3]: '10.0.0.5/24' is not an IPv4 or IPv6 address without a prefix length"]),
        Broken(yaml: "networks:\n  - {name: a, subnets: [{cidr: 10.1.0.0/24, gateway: 10.2.0.1}, {cidr: 10.1.0.128/25}]}\n  - {name: b}\nrouters:\n  - {name: r, networks: [a, b, c], routes: [{to: 10.9.0.0/16, via: 10.7.0.1}]}\n",
               expected: ["f.yaml:2:25: networks.a.subnets[0].gateway: gateway 10.2.0.1 is not in 10.1.0.0/24",
                          "f.yaml:2:65: networks.a.subnets[1]: 10.1.0.128/25 overlaps 10.1.0.0/24 of the same network",
                          "f.yaml:5:5: routers.r.networks.b: network 'b' has no subnets: a router attaches to a subnet",
                          "f.yaml:5:5: routers.r.networks.c: unknown network 'c'",
                          "f.yaml:5:45: routers.r.routes[0].via: next hop 10.7.0.1 is not on any subnet router 'r' is attached to"]),
        Broken(yaml: "routers:\n  - {name: r, networks: [a], routes: [{to: 10.9.0.0/33, via: 10.1.0.5}]}\n",
               expected: ["f.yaml:2:44: routers.r.routes[0].to: '10.9.0.0/33' is not an IPv4 prefix (a.b.c.d/len)",
                          "f.yaml:2:5: routers.r.networks.a: unknown network 'a'",
                          "f.yaml:2:39: routers.r.routes[0].via: next hop 10.1.0.5 is not on any subnet router 'r' is attached to"]),
        Broken(yaml: "networks:\n  - {name: blue, vni: 5001}\n  - {name: red, remote_vteps: [192.0.2.2]}\n",
               expected: ["f.yaml:2:5: networks.blue.vni: network 'blue' has a vni but this host has no overlay (add overlay.local_ip)",
                          "f.yaml:3:5: networks.red.remote_vteps: remote_vteps need a vni: they carry the network on the overlay"]),
        Broken(yaml: "overlay: {local_ip: 192.0.2.1}\nnetworks:\n  - {name: blue, vni: 5001, remote_vteps: [192.0.2.1, 192.0.2.2, 192.0.2.2, 239.1.1.1]}\n  - {name: red, vni: 5001}\nports:\n  - {name: vxlan, kind: tap, device: t1}\n",
               expected: ["f.yaml:6:5: ports.vxlan: the name 'vxlan' belongs to the overlay's VXLAN port",
                          "f.yaml:3:5: networks.blue.remote_vteps: 192.0.2.1 is this host's own overlay.local_ip",
                          "f.yaml:3:5: networks.blue.remote_vteps: 192.0.2.2 is listed twice",
                          "f.yaml:3:5: networks.blue.remote_vteps: 239.1.1.1 is not a unicast address (head-end replication sends to each VTEP)",
                          "f.yaml:4:5: networks.red.vni: vni 5001 is already used by network 'blue'"]),
        // Types first: ranges and formats are checked once the document reads.
        Broken(yaml: "overlay: {device: eth1, udp_port: 70000, learn: maybe}\nnetworks:\n  - {name: blue, vni: 16777216, remote_vteps: [192.0.2.300]}\n",
               expected: ["f.yaml:1:49: overlay.learn: expected true or false",
                          "f.yaml:1:10: overlay: missing required key 'local_ip'"]),
        Broken(yaml: "overlay: {local_ip: 192.0.2.1, udp_port: 70000}\nnetworks:\n  - {name: blue, vni: 16777216, remote_vteps: [192.0.2.300]}\n",
               expected: ["f.yaml:1:42: overlay.udp_port: must be between 1 and 65535, got 70000",
                          "f.yaml:3:23: networks.blue.vni: must be between 1 and 16777215, got 16777216",
                          "f.yaml:3:48: networks.blue.remote_vteps[0]: '192.0.2.300' is not an IPv4 address (a.b.c.d)"]),
    ]

    @Test func overlayRoundTripAndShorthand() throws {
        let yaml = """
            overlay: {local_ip: 192.0.2.1, device: eth1, udp_port: 4790, learn: false, ttl: 32, df: false}
            networks:
              - {name: blue, vni: 5001, remote_vteps: [192.0.2.2, 192.0.2.3]}
            """
        let c = try ConfigLoader.parse(yaml, file: "f")
        #expect(c.overlay == OverlaySpec(localIP: "192.0.2.1", device: "eth1", udpPort: 4790, learn: false, ttl: 32, df: false))
        #expect(c.networks[0].vni == 5001 && c.networks[0].remoteVteps == ["192.0.2.2", "192.0.2.3"])
        #expect(try ConfigLoader.parse(try ConfigWriter.yaml(c), file: "written") == c)
        #expect(try JSONDecoder().decode(NetworkConfig.self, from: try JSONEncoder().encode(c)) == c)
        #expect(try Shorthand.network("blue,vni=5001,remote_vteps=192.0.2.2+192.0.2.3")
                == NetworkSpec(name: "blue", vni: 5001, remoteVteps: ["192.0.2.2", "192.0.2.3"], owner: "cli"))
        #expect(try Shorthand.overlay("local_ip=192.0.2.1,device=eth1,learn=false")
                == OverlaySpec(localIP: "192.0.2.1", device: "eth1", learn: false, owner: "cli"))
        #expect(throws: ConfigError.self) { try Shorthand.overlay("device=eth1") }
        #expect(throws: ConfigError.self) { try Shorthand.network("blue,vni=0") }
        // The overlay is one object with an owner: the file's overlay goes when the file drops it.
        let fromFile = NetworkConfig().applying(c, owner: "config")
        #expect(fromFile.overlay?.owner == "config")
        #expect(fromFile.applying(NetworkConfig(), owner: "config").overlay == nil)
        #expect(fromFile.applying(NetworkConfig(), owner: "api").overlay != nil)
    }

    @Test func trunksNativeAndAddresses() throws {
        let c = try ConfigLoader.parse("""
            networks:
              - {name: blue, vlan: 10}
              - {name: red, vlan: 20}
              - {name: mgmt}
            ports:
              - {name: up, kind: afpacket, device: eth1, trunk: [blue, red], native: mgmt}
              - name: c1
                kind: tap
                device: t1
                network: blue
                addresses: [{mac: 02:00:00:00:00:0A, ips: [10.1.0.10, "2001:db8::a"]}]
            """, file: "f")
        #expect(c.ports[0].trunk == ["blue", "red"] && c.ports[0].native == "mgmt" && c.ports[0].untaggedNetwork == "mgmt")
        #expect(c.ports[0].networks == ["mgmt", "blue", "red"])
        #expect(c.ports[1].addresses == [PortAddress(mac: "02:00:00:00:00:0a", ips: ["10.1.0.10", "2001:db8::a"])])
        #expect(Validator.validate(c, file: "f").isEmpty)
    }

    @Test func subnetsRoutersAndRoutes() throws {
        let c = try ConfigLoader.parse("""
            networks:
              - name: blue
                subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]
              - name: red
                subnets: [{cidr: 10.2.0.0/24, gateway: 10.2.0.1}]
            routers:
              - name: edge
                networks:
                  - blue
                  - {network: red, address: 10.2.0.254, mac: 02:5e:00:00:00:02}
                routes:
                  - {to: 0.0.0.0/0, via: 10.1.0.250}
            """, file: "f")
        #expect(c.networks[0].subnets == [SubnetSpec(cidr: "10.1.0.0/24", gateway: "10.1.0.1")])
        #expect(c.routers == [RouterSpec(name: "edge", networks: [RouterAttachment(network: "blue"),
                                                                RouterAttachment(network: "red", address: "10.2.0.254", mac: "02:5e:00:00:00:02")],
                                         routes: [RouteSpec(to: "0.0.0.0/0", via: "10.1.0.250")])])
        let r = try Shorthand.router("edge,networks=blue+red,route=0.0.0.0/0@10.1.0.250")
        #expect(r.networks.map(\.network) == ["blue", "red"] && r.routes == [RouteSpec(to: "0.0.0.0/0", via: "10.1.0.250")])
        let n = try Shorthand.network("blue,subnet=10.1.0.0/24,gateway=10.1.0.1")
        #expect(n.subnets == [SubnetSpec(cidr: "10.1.0.0/24", gateway: "10.1.0.1")])
    }

    @Test func trunkShorthand() throws {
        let p = try Shorthand.port("afpacket:eth1,trunk=blue+red,native=mgmt")
        #expect(p.trunk == ["blue", "red"] && p.native == "mgmt" && p.network == nil)
        let s = try Shorthand.port("tap:t1,network=blue,mac=02:00:00:00:00:0a,ips=10.1.0.10+fe80::1")
        #expect(s.addresses == [PortAddress(mac: "02:00:00:00:00:0a", ips: ["10.1.0.10", "fe80::1"])])
        #expect(throws: ConfigError.self) { try Shorthand.port("tap:t1,ips=10.1.0.10") }
    }

    @Test(arguments: broken) func brokenConfigsNameFileLineAndReason(_ b: Broken) {
        do {
            _ = try ConfigLoader.parse(b.yaml, file: "f.yaml")
            Issue.record("accepted a broken config")
        } catch {
            #expect(Set(error.errors.map(\.description)) == Set(b.expected))
        }
    }

    @Test func securityGroupsRoundTrip() throws {
        let yaml = """
            security_groups:
              - name: web
                rules: []
              - name: db
                description: the database tier
                rules:
                  - {direction: ingress, protocol: tcp, ports: 5432, remote_group: web}
                  - {direction: ingress, protocol: tcp, ports: 8000-8080, remote: 10.0.0.0/8, action: deny, priority: 10}
                  - {direction: ingress, protocol: icmp, icmp_type: 8}
            ports:
              - {name: d, kind: tap, device: t1, addresses: [{mac: "02:00:00:00:00:01", ips: [10.0.0.2]}], security_groups: [db]}
            """
        let c = try ConfigLoader.parse(yaml, file: "f")
        #expect(c.securityGroups.map(\.name) == ["web", "db"])
        #expect(c.securityGroups[1].rules[1].portRange == 8000...8080 && c.securityGroups[1].rules[1].isDeny)
        #expect(c.securityGroups[1].rules[0].summary == "ingress tcp 5432 from group web")
        #expect(c.ports[0].securityGroups == ["db"])
        let again = try ConfigLoader.parse(try ConfigWriter.yaml(c), file: "written")
        #expect(again == c)
        let json = try JSONDecoder().decode(NetworkConfig.self, from: try JSONEncoder().encode(c))
        #expect(json == c)
    }

    @Test func reportsAllErrorsAtOnce() {
        let yaml = "ports:\n  - {name: a, kind: nope, device: v1}\n  - {name: b, kind: tap}\noverlay: {}\n"
        #expect(throws: ConfigErrors.self) { try ConfigLoader.parse(yaml, file: "f") }
        do { _ = try ConfigLoader.parse(yaml, file: "f") } catch { #expect(error.errors.count == 3) }
    }
}

@Suite struct ShorthandTests {
    @Test func ports() throws {
        #expect(try Shorthand.port("afpacket:veth1") == PortSpec(name: "veth1", kind: .afpacket, device: "veth1", owner: "cli"))
        #expect(try Shorthand.port("tap:tap0,network=red,name=vm") == PortSpec(name: "vm", kind: .tap, device: "tap0", network: "red", owner: "cli"))
        #expect(throws: ConfigError.self) { try Shorthand.port("veth1") }
        #expect(throws: ConfigError.self) { try Shorthand.port("bridge:br0") }
        #expect(throws: ConfigError.self) { try Shorthand.port("afpacket:v1,colour=red") }
        #expect(throws: ConfigError.self) { try Shorthand.port("afpacket:0123456789abcdefg") }
    }

    @Test func networks() throws {
        #expect(try Shorthand.network("blue,vlan=10,mtu=9000") == NetworkSpec(name: "blue", vlan: 10, mtu: 9000, owner: "cli"))
        #expect(throws: ConfigError.self) { try Shorthand.network("blue,vlan=0") }
        #expect(throws: ConfigError.self) { try Shorthand.network("vlan=10") }
    }
}

/// The examples in Docs/config.md are configs a user will copy: each YAML block there must load and validate.
@Suite struct DocumentedConfigTests {
    @Test func everyYAMLExampleInTheConfigReferenceLoads() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/config.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(!blocks.isEmpty)
        for (i, yaml) in blocks.enumerated() {
            #expect(throws: Never.self, "YAML block \(i + 1) of Docs/config.md") { _ = try ConfigLoader.parse(yaml, file: "config.md#\(i + 1)") }
        }
        let full = try ConfigLoader.parse(blocks[0], file: "config.md")
        #expect(full.routers.first?.routes?.first?.via == "10.2.0.254" && full.ports.count == 3)
    }
}
