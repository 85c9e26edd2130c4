import SwivelAddress

/// Rules across objects: unique names and devices, references that resolve, overlaps; ranges and formats
/// come from `FieldRule.table`.
public enum Validator {
    /// The FDB's network ids (FDB.maxNetworks); router interfaces are numbered in 16 bits.
    public static let maxNetworks = 4096
    public static let maxRouters = 4096
    public static let maxRouterAttachments = 65_535

    /// The line of `key` or, failing that, of the nearest enclosing key the reader marked.
    static func mark(_ key: String, in marks: [String: (Int, Int)]) -> (Int, Int) {
        var k = Substring(key)
        while !k.isEmpty {
            if let m = marks[String(k)] { return m }
            guard let cut = k.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            k = k[..<cut]
        }
        return (0, 0)
    }

    /// The top-level object a key is in: "ports[2].device" -> "ports[2]", "overlay.ttl" -> "overlay".
    public static func objectKey(_ key: String) -> String {
        if key.hasPrefix("overlay") { return "overlay" }
        guard let close = key.firstIndex(of: "]") else { return key }
        return String(key[...close])
    }

    public static func validate(_ c: NetworkConfig, file: String, marks: [String: (Int, Int)] = [:],
                                existing: NetworkConfig? = nil) -> [ConfigError] {
        var errors: [ConfigError] = []
        /// `key`: where in the document ("ports[2].device"), for the line and the object it belongs to.
        func add(_ key: String, _ path: String, _ reason: String) { report(key, path, reason, code: nil) }
        func report(_ key: String, _ path: String, _ reason: String, code: APIErrorCode?) {
            let m = mark(key, in: marks)
            errors.append(ConfigError(file: file, line: m.0, column: m.1, path: path, reason: reason, object: objectKey(key), code: code))
        }
        FieldRule.check(c, report: add)
        // Sizes the datapath's tables and 16-bit ids are built for.
        if c.networks.count > Self.maxNetworks {
            add("networks", "networks", "at most \(Self.maxNetworks) networks, got \(c.networks.count)")
        }
        if c.routers.count > Self.maxRouters {
            add("routers", "routers", "at most \(Self.maxRouters) routers, got \(c.routers.count)")
        }
        let attachments = c.routers.reduce(0) { $0 + $1.networks.count }
        if attachments > Self.maxRouterAttachments {
            add("routers", "routers", "at most \(Self.maxRouterAttachments) router attachments in all, got \(attachments)")
        }
        var networks = Set<String>()
        for (i, n) in c.networks.enumerated() {
            if !networks.insert(n.name).inserted { add("networks[\(i)]", "networks.\(n.name)", "duplicate network name '\(n.name)'") }
        }
        var vlans: [Int: String] = [:]
        for (i, n) in c.networks.enumerated() {
            guard let v = n.vlan else { continue }
            if let other = vlans[v], other != n.name {
                add("networks[\(i)]", "networks.\(n.name).vlan", "vlan \(v) is already used by network '\(other)'")
            }
            vlans[v] = n.name
        }
        validateRouting(c, add: add)
        validateOverlay(c, overlay: c.overlay ?? existing?.overlay, add: add)
        validateSecurityGroups(c, existingGroups: Set((existing?.securityGroups ?? []).map(\.name)), add: add)
        let elsewhere = (existing?.networks ?? []).filter { n in !c.networks.contains { $0.name == n.name } }
        var ports = Set<String>(), devices: [String: String] = [:], staticOwners: [String: String] = [:]
        var pinnedIPs: [String: String] = [:]
        var routerAddresses: [String: String] = [:]   // "network/address" -> router
        for r in c.routers {
            for a in r.networks {
                let gateways = a.address.map { [$0] }
                    ?? (c.networks.first { $0.name == a.network }?.subnets ?? []).compactMap(\.gateway)
                for g in gateways { routerAddresses["\(a.network)/\(g)"] = r.name }
            }
        }
        for (i, p) in c.ports.enumerated() {
            let key = "ports[\(i)]"
            if !ports.insert(p.name).inserted { add(key, "ports.\(p.name)", "duplicate port name '\(p.name)'") }
            if let other = devices[p.device] {
                add(key, "ports.\(p.name).device", "device '\(p.device)' is already used by port '\(other)'")
            }
            devices[p.device] = p.name
            func known(_ n: String) -> Bool {
                n == NetworkConfig.defaultNetworkName || networks.contains(n) || elsewhere.contains { $0.name == n }
            }
            if let n = p.network, !known(n) {
                add(key, "ports.\(p.name).network", "unknown network '\(n)'")
            }
            if let trunk = p.trunk {
                if p.network != nil {
                    add(key, "ports.\(p.name)", "a port is an access port ('network') or a trunk ('trunk'), not both")
                }
                if trunk.isEmpty { add(key, "ports.\(p.name).trunk", "a trunk carries at least one network") }
                var seen = Set<String>()
                for n in trunk {
                    if !seen.insert(n).inserted { add(key, "ports.\(p.name).trunk", "network '\(n)' is listed twice") }
                    if !known(n) {
                        add(key, "ports.\(p.name).trunk", "unknown network '\(n)'")
                    } else if n != p.native && (c.networks + elsewhere).first(where: { $0.name == n })?.vlan == nil {
                        add(key, "ports.\(p.name).trunk", "network '\(n)' has no vlan: a trunk carries networks tagged with their vlan")
                    }
                }
                if p.addresses != nil {
                    add(key, "ports.\(p.name).addresses", "port security (addresses) is for access ports, not trunks")
                }
                if p.staticMacs != nil {
                    add(key, "ports.\(p.name).static_macs", "static MACs are for access ports; on a trunk use 'swivelctl fdb add --network N'")
                }
            }
            if let n = p.native {
                if p.trunk == nil { add(key, "ports.\(p.name).native", "'native' needs 'trunk' (an access port uses 'network')") }
                if !known(n) { add(key, "ports.\(p.name).native", "unknown network '\(n)'") }
            }
            var secured = Set<String>()
            for a in p.addresses ?? [] where !secured.insert(a.mac.lowercased()).inserted {
                add(key, "ports.\(p.name).addresses", "\(a.mac) is listed twice")
            }
            // An address pinned to two ports would let either impersonate the other.
            for ip in (p.addresses ?? []).flatMap({ $0.ips ?? [] }) {
                if let other = pinnedIPs[ip], other != p.name {
                    report(key, "ports.\(p.name).addresses", "\(ip) is already an address of port '\(other)'", code: .addressInUse)
                }
                // A workload holding its router's address would answer ARP for the gateway of everyone.
                if let router = routerAddresses["\(p.untaggedNetwork ?? "")/\(ip)"] {
                    add(key, "ports.\(p.name).addresses", "\(ip) is router '\(router)''s address in network '\(p.untaggedNetwork ?? "")'")
                }
                pinnedIPs[ip] = p.name
            }
            if let net = p.untaggedNetwork, !p.isTrunk {
                for mac in p.staticMacs ?? [] {
                    let where_ = "\(net)/\(mac)"
                    if let other = staticOwners[where_] {
                        add(key, "ports.\(p.name).static_macs", "\(mac) is already static on port '\(other)' in network '\(net)'")
                    }
                    staticOwners[where_] = p.name
                }
            }
        }
        return errors
    }
}

extension Validator {
    /// Security groups and the ports that use them. Everything the JSON API can send is checked here
    /// (the YAML reader only checks types).
    static func validateSecurityGroups(_ c: NetworkConfig, existingGroups: Set<String>, add: (String, String, String) -> Void) {
        var names = existingGroups
        for g in c.securityGroups { names.insert(g.name) }
        var seen = Set<String>()
        for (i, g) in c.securityGroups.enumerated() {
            let key = "security_groups[\(i)]"
            if !seen.insert(g.name).inserted { add(key, "security_groups.\(g.name)", "duplicate security group name '\(g.name)'") }
            for (j, r) in g.rules.enumerated() {
                let rk = "\(key).rules[\(j)]"
                let path = "security_groups.\(g.name).rules[\(j)]"
                if r.ethertype == "ipv6" {
                    add("\(rk).ethertype", "\(path).ethertype", "IPv6 rules are not supported yet: guarded ports pass only IPv6 neighbour discovery")
                }
                let proto = r.protocol ?? "any"
                if r.ports != nil && proto != "tcp" && proto != "udp" {
                    add("\(rk).ports", "\(path).ports", "ports are for tcp and udp rules")
                }
                if r.icmpType != nil || r.icmpCode != nil {
                    if proto != "icmp" { add(rk, "\(path).icmp_type", "icmp_type and icmp_code are for icmp rules") }
                    if r.icmpCode != nil && r.icmpType == nil { add(rk, "\(path).icmp_code", "icmp_code needs icmp_type") }
                }
                if r.remote != nil && r.remoteGroup != nil {
                    add(rk, path, "a rule has 'remote' (a CIDR) or 'remote_group', not both")
                }
                if let rg = r.remoteGroup, !names.contains(rg) {
                    add("\(rk).remote_group", "\(path).remote_group", "unknown security group '\(rg)'")
                }
            }
        }
        for (i, p) in c.ports.enumerated() {
            guard let groups = p.securityGroups, !groups.isEmpty else { continue }
            let key = "ports[\(i)]"
            for g in groups where !names.contains(g) {
                add(key, "ports.\(p.name).security_groups", "unknown security group '\(g)'")
            }
            if p.isTrunk {
                add(key, "ports.\(p.name).security_groups", "security groups are for access ports, not trunks")
            }
            let ipv4 = (p.addresses ?? []).flatMap { $0.ips ?? [] }.filter { IPv4Address.parse($0) != nil }
            if ipv4.isEmpty {
                add(key, "ports.\(p.name).security_groups",
                    "a port with security groups needs 'addresses' with its MAC and IPv4 addresses (group membership follows them, and port security keeps them from being spoofed)")
            }
        }
    }

    /// Subnets, router attachments and routes: addresses inside their subnets, no overlaps within one
    /// router, next hops on a network the router is attached to.
    static func validateOverlay(_ c: NetworkConfig, overlay: OverlaySpec?, add: (String, String, String) -> Void) {
        let local = overlay.flatMap { IPv4Address.parse($0.localIP) }
        if let o = overlay {
            if let ip = local, ip == 0 || ip >> 28 == 0xE || ip == 0xFFFF_FFFF {
                add("overlay", "overlay.local_ip", "\(o.localIP) is not a unicast address")
            }
            if let i = c.ports.firstIndex(where: { $0.name == OverlaySpec.portName }) {
                add("ports[\(i)]", "ports.\(OverlaySpec.portName)", "the name '\(OverlaySpec.portName)' belongs to the overlay's VXLAN port")
            }
        }
        var vnis: [Int: String] = [:]
        for (i, n) in c.networks.enumerated() {
            let key = "networks[\(i)]"
            if let v = n.vni {
                if let other = vnis[v], other != n.name { add(key, "networks.\(n.name).vni", "vni \(v) is already used by network '\(other)'") }
                vnis[v] = n.name
                if overlay == nil {
                    add(key, "networks.\(n.name).vni", "network '\(n.name)' has a vni but this host has no overlay (add overlay.local_ip)")
                }
            }
            guard let vteps = n.remoteVteps else { continue }
            if n.vni == nil { add(key, "networks.\(n.name).remote_vteps", "remote_vteps need a vni: they carry the network on the overlay") }
            var seen = Set<String>()
            for v in vteps {
                if !seen.insert(v).inserted { add(key, "networks.\(n.name).remote_vteps", "\(v) is listed twice") }
                guard let ip = IPv4Address.parse(v) else { continue }
                if ip == local { add(key, "networks.\(n.name).remote_vteps", "\(v) is this host's own overlay.local_ip") }
                if ip == 0 || ip >> 28 == 0xE || ip == 0xFFFF_FFFF {
                    add(key, "networks.\(n.name).remote_vteps", "\(v) is not a unicast address (head-end replication sends to each VTEP)")
                }
            }
        }
    }

    static func validateRouting(_ c: NetworkConfig, add: (String, String, String) -> Void) {
        for (i, n) in c.networks.enumerated() {
            var seen: [IPv4Prefix] = []
            for (j, s) in (n.subnets ?? []).enumerated() {
                guard let prefix = IPv4Prefix(s.cidr) else { continue }
                let path = "networks.\(n.name).subnets[\(j)]"
                if let other = seen.first(where: { $0.contains(prefix.network) || prefix.contains($0.network) }) {
                    add("networks[\(i)].subnets[\(j)]", path, "\(prefix) overlaps \(other) of the same network")
                }
                seen.append(prefix)
                if let g = s.gateway.flatMap(IPv4Address.parse) {
                    if !prefix.contains(g) {
                        add("networks[\(i)].subnets[\(j)]", "\(path).gateway", "gateway \(s.gateway!) is not in \(prefix)")
                    } else if prefix.length < 31 && (g == prefix.network || g == prefix.network | ~prefix.mask) {
                        add("networks[\(i)].subnets[\(j)]", "\(path).gateway", "gateway \(s.gateway!) is the network or broadcast address of \(prefix)")
                    }
                }
            }
        }
        var names = Set<String>()
        for (i, r) in c.routers.enumerated() {
            let key = "routers[\(i)]"
            if !names.insert(r.name).inserted { add(key, "routers.\(r.name)", "duplicate router name '\(r.name)'") }
            var connected: [(IPv4Prefix, String)] = []
            var attached = Set<String>()
            for a in r.networks {
                let path = "routers.\(r.name).networks.\(a.network)"
                if !attached.insert(a.network).inserted { add(key, path, "network '\(a.network)' is attached twice") }
                guard let n = c.networks.first(where: { $0.name == a.network }) else {
                    add(key, path, "unknown network '\(a.network)'")
                    continue
                }
                let subnets = (n.subnets ?? []).compactMap { s in IPv4Prefix(s.cidr).map { ($0, s.gateway) } }
                if subnets.isEmpty { add(key, path, "network '\(n.name)' has no subnets: a router attaches to a subnet"); continue }
                if let address = a.address {
                    guard let ip = IPv4Address.parse(address), let s = subnets.first(where: { $0.0.contains(ip) }) else {
                        add(key, "\(path).address", "\(address) is in none of network '\(n.name)''s subnets")
                        continue
                    }
                    connected.append((s.0, a.network))
                } else {
                    let withGateway = subnets.filter { $0.1 != nil }
                    if withGateway.isEmpty {
                        add(key, path, "network '\(n.name)' has no subnet with a gateway: give the attachment an address")
                    }
                    connected += withGateway.map { ($0.0, a.network) }
                }
            }
            for (x, (p, net)) in connected.enumerated() {
                for (q, other) in connected[..<x] where p.contains(q.network) || q.contains(p.network) {
                    add(key, "routers.\(r.name).networks.\(net)", "\(p) overlaps \(q) of network '\(other)' on the same router")
                }
            }
            for (j, route) in (r.routes ?? []).enumerated() {
                guard let via = IPv4Address.parse(route.via) else { continue }
                if !connected.contains(where: { $0.0.contains(via) }) {
                    add("routers[\(i)].routes[\(j)]", "routers.\(r.name).routes[\(j)].via",
                        "next hop \(route.via) is not on any subnet router '\(r.name)' is attached to")
                }
            }
        }
    }
}

/// IP address text checks for the control plane.
public enum IPText {
    public static func isAddress(_ text: String) -> Bool {
        IPv4Address.parse(text) != nil || IPv6Address.parse(text) != nil
    }
}

/// MAC address text checks for the control plane (the fast path uses SwivelPacket's MACAddress).
public enum MACText {
    /// The address in lower case when it is six hex pairs with the group bit clear; nil otherwise.
    public static func validUnicast(_ text: String) -> String? {
        TextFormat.unicastMAC.accepts(text) ? text.lowercased() : nil   // the rule table's one definition
    }
}
