import SwivelPacket
import Yams

/// Reads the YAML config into the model, reporting every problem at once with file, line and column.
/// Nothing is returned unless the whole file is valid, so a caller never applies half a config.
public enum ConfigLoader {
    /// `existing`: objects the file may refer to without defining them (what a running swiveld already has,
    /// for `swivelctl apply`); the server validates the merged state again.
    public static func parse(_ text: String, file: String, existing: NetworkConfig? = nil) throws(ConfigErrors) -> NetworkConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigErrors([syntaxError(error, file: file)])
        }
        var r = Reader(file: file)
        let config = r.config(root)
        let all = r.errors + (r.errors.isEmpty ? Validator.validate(config, file: file, marks: r.marks, existing: existing) : [])
        if !all.isEmpty { throw ConfigErrors(all) }
        return config
    }

    static func syntaxError(_ error: Error, file: String) -> ConfigError {
        if let y = error as? YamlError {
            switch y {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
                return ConfigError(file: file, line: mark.line, column: mark.column, path: "", reason: "YAML syntax: \(problem)")
            default: break
            }
        }
        return ConfigError(file: file, path: "", reason: "YAML syntax: \(error)")
    }
}

/// Walks the YAML node tree; records an error for every unknown key, wrong type or missing field.
struct Reader {
    let file: String
    var errors: [ConfigError] = []
    /// Where each object was defined ("ports[2]" -> line, column), for validation errors.
    var marks: [String: (Int, Int)] = [:]

    init(file: String) { self.file = file }

    mutating func fail(_ node: Node?, _ path: String, _ reason: String) {
        let m = node?.mark
        errors.append(ConfigError(file: file, line: m?.line ?? 0, column: m?.column ?? 0, path: path, reason: reason,
                                  object: path.isEmpty ? nil : Validator.objectKey(path)))
    }

    mutating func mapping(_ node: Node, _ path: String, allowed: [String]) -> [(String, Node)]? {
        guard let map = node.mapping else { fail(node, path, "expected a mapping"); return nil }
        var out: [(String, Node)] = []
        for (k, v) in map {
            guard let key = k.scalar?.string else { fail(k, path, "keys must be strings"); continue }
            marks[path.isEmpty ? key : "\(path).\(key)"] = (v.mark?.line ?? 0, v.mark?.column ?? 0)
            guard allowed.contains(key) else {
                fail(k, path.isEmpty ? key : "\(path).\(key)", "unknown key '\(key)' (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            out.append((key, v))
        }
        return out
    }

    mutating func string(_ node: Node, _ path: String) -> String? {
        guard let s = node.scalar?.string, node.scalar != nil else { fail(node, path, "expected a string"); return nil }
        guard !s.isEmpty else { fail(node, path, "must not be empty"); return nil }
        return s
    }

    /// Ranges are checked by the validator's rule table (FieldRule.table), the same for every entry point.
    mutating func int(_ node: Node, _ path: String) -> Int? {
        guard let s = node.scalar?.string, let v = Int(s) else { fail(node, path, "expected a whole number"); return nil }
        return v
    }

    mutating func config(_ root: Node?) -> NetworkConfig {
        var c = NetworkConfig()
        guard let root else { return c }   // an empty file is an empty desired state
        guard let top = mapping(root, "", allowed: ["networks", "ports", "routers", "security_groups", "overlay"]) else { return c }
        for (key, value) in top {
            switch key {
            case "networks": c.networks = list(value, "networks") { r, n, p in r.network(n, p) }
            case "routers": c.routers = list(value, "routers") { r, n, p in r.router(n, p) }
            case "ports": c.ports = list(value, "ports") { r, n, p in r.port(n, p) }
            case "security_groups": c.securityGroups = list(value, "security_groups") { r, n, p in r.securityGroup(n, p) }
            case "overlay": c.overlay = overlay(value, "overlay")
            default: fail(value, key, "'\(key)' is part of the model but not supported by this version yet")
            }
        }
        return c
    }

    mutating func list<T>(_ node: Node, _ path: String, _ element: (inout Reader, Node, String) -> T?) -> [T] {
        guard let seq = node.sequence else { fail(node, path, "expected a list"); return [] }
        var out: [T] = []
        for (i, item) in seq.enumerated() {
            marks["\(path)[\(i)]"] = (item.mark?.line ?? 0, item.mark?.column ?? 0)
            if let v = element(&self, item, "\(path)[\(i)]") { out.append(v) }
        }
        return out
    }

    mutating func network(_ node: Node, _ path: String) -> NetworkSpec? {
        guard let fields = mapping(node, path, allowed: ["name", "vlan", "vni", "mtu", "subnets", "fdb", "remote_vteps", "owner"]) else { return nil }
        var spec = NetworkSpec(name: "")
        for (k, v) in fields {
            switch k {
            case "name": spec.name = string(v, "\(path).name") ?? ""
            case "vlan": spec.vlan = int(v, "\(path).vlan")
            case "vni": spec.vni = int(v, "\(path).vni")
            case "remote_vteps": spec.remoteVteps = list(v, "\(path).remote_vteps") { r, n, p in r.ipv4(n, p) }
            case "mtu": spec.mtu = int(v, "\(path).mtu")
            case "owner": spec.owner = string(v, "\(path).owner")
            case "subnets": spec.subnets = list(v, "\(path).subnets") { r, n, p in r.subnet(n, p) }
            case "fdb":
                guard let f = mapping(v, "\(path).fdb", allowed: ["aging_seconds", "max_entries"]) else { continue }
                var s = FDBSettings()
                for (fk, fv) in f {
                    if fk == "aging_seconds" { s.agingSeconds = int(fv, "\(path).fdb.aging_seconds") }
                    if fk == "max_entries" { s.maxEntries = int(fv, "\(path).fdb.max_entries") }
                }
                spec.fdb = s
            default: fail(v, "\(path).\(k)", "'\(k)' is part of the model but not supported by this version yet")
            }
        }
        if spec.name.isEmpty { if !fields.contains(where: { $0.0 == "name" }) { fail(node, path, "missing required key 'name'") }; return nil }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return spec
    }

    mutating func bool(_ node: Node, _ path: String) -> Bool? {
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default: fail(node, path, "expected true or false"); return nil
        }
    }

    mutating func overlay(_ node: Node, _ path: String) -> OverlaySpec? {
        guard let fields = mapping(node, path, allowed: ["local_ip", "device", "udp_port", "learn", "learn_from_any", "ttl", "df", "owner"]) else { return nil }
        var spec = OverlaySpec(localIP: "")
        for (k, v) in fields {
            switch k {
            case "local_ip": spec.localIP = ipv4(v, "\(path).local_ip") ?? ""
            case "device": spec.device = string(v, "\(path).device")
            case "udp_port": spec.udpPort = int(v, "\(path).udp_port")
            case "ttl": spec.ttl = int(v, "\(path).ttl")
            case "learn": spec.learn = bool(v, "\(path).learn")
            case "learn_from_any": spec.learnFromAny = bool(v, "\(path).learn_from_any")
            case "owner": spec.owner = string(v, "\(path).owner")
            case "df": spec.df = bool(v, "\(path).df")
            default: break
            }
        }
        if spec.localIP.isEmpty {
            if !fields.contains(where: { $0.0 == "local_ip" }) { fail(node, path, "missing required key 'local_ip'") }
            return nil
        }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return spec
    }

    // Formats (prefixes, addresses, MACs) are checked by the validator's rule table, like ranges.
    mutating func prefix(_ node: Node, _ path: String) -> String? { string(node, path) }
    mutating func ipv4(_ node: Node, _ path: String) -> String? { string(node, path) }
    /// MACs are kept in lower case, the form `config show` and the state file print.
    mutating func mac(_ node: Node, _ path: String) -> String? { string(node, path)?.lowercased() }

    mutating func subnet(_ node: Node, _ path: String) -> SubnetSpec? {
        guard let fields = mapping(node, path, allowed: ["cidr", "gateway"]) else { return nil }
        var spec = SubnetSpec(cidr: "")
        for (k, v) in fields {
            if k == "cidr" { spec.cidr = prefix(v, "\(path).cidr") ?? "" }
            if k == "gateway" { spec.gateway = ipv4(v, "\(path).gateway") }
        }
        if spec.cidr.isEmpty {
            if !fields.contains(where: { $0.0 == "cidr" }) { fail(node, path, "missing required key 'cidr'") }
            return nil
        }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return spec
    }

    mutating func router(_ node: Node, _ path: String) -> RouterSpec? {
        guard let fields = mapping(node, path, allowed: ["name", "networks", "routes", "owner"]) else { return nil }
        var spec = RouterSpec(name: "", networks: [])
        for (k, v) in fields {
            switch k {
            case "name": spec.name = string(v, "\(path).name") ?? ""
            case "owner": spec.owner = string(v, "\(path).owner")
            case "networks":
                spec.networks = list(v, "\(path).networks") { r, n, p in
                    if n.scalar != nil { return r.string(n, p).map { RouterAttachment(network: $0) } }
                    guard let f = r.mapping(n, p, allowed: ["network", "address", "mac"]) else { return nil }
                    var a = RouterAttachment(network: "")
                    for (fk, fv) in f {
                        if fk == "network" { a.network = r.string(fv, "\(p).network") ?? "" }
                        if fk == "address" { a.address = r.ipv4(fv, "\(p).address") }
                        if fk == "mac" { a.mac = r.mac(fv, "\(p).mac") }
                    }
                    if a.network.isEmpty { r.fail(n, p, "missing required key 'network'"); return nil }
                    return a
                }
            case "routes":
                spec.routes = list(v, "\(path).routes") { r, n, p in
                    guard let f = r.mapping(n, p, allowed: ["to", "via"]) else { return nil }
                    var to: String?, via: String?
                    for (fk, fv) in f {
                        if fk == "to" { to = r.prefix(fv, "\(p).to") }
                        if fk == "via" { via = r.ipv4(fv, "\(p).via") }
                    }
                    guard let to, let via else {
                        for key in ["to", "via"] where !f.contains(where: { $0.0 == key }) { r.fail(n, p, "missing required key '\(key)'") }
                        return nil
                    }
                    r.marks[p] = (n.mark?.line ?? 0, n.mark?.column ?? 0)
                    return RouteSpec(to: to, via: via)
                }
            default: break
            }
        }
        if spec.name.isEmpty { if !fields.contains(where: { $0.0 == "name" }) { fail(node, path, "missing required key 'name'") }; return nil }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return spec
    }

    mutating func port(_ node: Node, _ path: String) -> PortSpec? {
        guard let fields = mapping(node, path, allowed: ["name", "kind", "device", "network", "trunk", "native",
                                                         "addresses", "security_groups", "owner", "max_macs",
                                                         "static_macs", "storm_control_pps", "offloads", "labels"]) else { return nil }
        var name: String?, kind: PortKind?, device: String?, network: String?, owner: String?
        var maxMacs: Int?, staticMacs: [String]?, stormPPS: Int?
        var trunk: [String]?, native: String?, addresses: [PortAddress]?, offloads: OffloadSetting?
        var labels: [String: String]?
        var groups: [String]?
        for (k, v) in fields {
            switch k {
            case "name": name = string(v, "\(path).name")
            case "security_groups": groups = list(v, "\(path).security_groups") { r, n, p in r.string(n, p) }
            case "kind":
                if let s = string(v, "\(path).kind") {
                    kind = PortKind(rawValue: s)
                    if kind == nil { fail(v, "\(path).kind", "expected one of \(PortKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'") }
                }
            case "device": device = string(v, "\(path).device")
            case "network": network = string(v, "\(path).network")
            case "trunk": trunk = list(v, "\(path).trunk") { r, n, p in r.string(n, p) }
            case "native": native = string(v, "\(path).native")
            case "labels":
                if let map = v.mapping {
                    var out: [String: String] = [:]
                    for (lk, lv) in map {
                        guard let key = lk.scalar?.string, let value = lv.scalar?.string else {
                            fail(lv, "\(path).labels", "labels map strings to strings"); continue
                        }
                        out[key] = value
                    }
                    labels = out
                } else {
                    fail(v, "\(path).labels", "expected a mapping of strings")
                }
            case "offloads":
                if let s = string(v, "\(path).offloads") {
                    offloads = OffloadSetting(rawValue: s)
                    if offloads == nil { fail(v, "\(path).offloads", "expected one of auto, on, off, got '\(s)'") }
                }
            case "addresses": addresses = list(v, "\(path).addresses") { r, n, p in r.portAddress(n, p) }
            case "owner": owner = string(v, "\(path).owner")
            case "max_macs": maxMacs = int(v, "\(path).max_macs")
            case "storm_control_pps": stormPPS = int(v, "\(path).storm_control_pps")
            case "static_macs":
                staticMacs = list(v, "\(path).static_macs") { r, n, p in r.mac(n, p) }
            default: fail(v, "\(path).\(k)", "'\(k)' is part of the model but not supported by this version yet")
            }
        }
        for (key, value) in [("name", name), ("kind", kind?.rawValue), ("device", device)] where value == nil {
            if !fields.contains(where: { $0.0 == key }) { fail(node, path, "missing required key '\(key)'") }
        }
        guard let name, let kind, let device else { return nil }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        var spec = PortSpec(name: name, kind: kind, device: device, network: network, owner: owner ?? "config",
                            maxMacs: maxMacs, staticMacs: staticMacs)
        spec.stormControlPPS = stormPPS
        spec.trunk = trunk; spec.native = native; spec.addresses = addresses; spec.offloads = offloads
        spec.labels = labels
        spec.securityGroups = groups
        return spec
    }

    mutating func securityGroup(_ node: Node, _ path: String) -> SecurityGroupSpec? {
        guard let fields = mapping(node, path, allowed: ["name", "description", "rules", "owner"]) else { return nil }
        var spec = SecurityGroupSpec(name: "", rules: [])
        for (k, v) in fields {
            switch k {
            case "name": spec.name = string(v, "\(path).name") ?? ""
            case "description": spec.description = v.scalar?.string
            case "owner": spec.owner = string(v, "\(path).owner")
            case "rules": spec.rules = list(v, "\(path).rules") { r, n, p in r.securityRule(n, p) }
            default: break
            }
        }
        if spec.name.isEmpty { if !fields.contains(where: { $0.0 == "name" }) { fail(node, path, "missing required key 'name'") }; return nil }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return spec
    }

    mutating func securityRule(_ node: Node, _ path: String) -> SecurityRuleSpec? {
        guard let fields = mapping(node, path, allowed: ["direction", "ethertype", "protocol", "ports", "icmp_type", "icmp_code",
                                                         "remote", "remote_group", "action", "priority", "description"]) else { return nil }
        var rule = SecurityRuleSpec(direction: "")
        for (k, v) in fields {
            switch k {
            case "direction": rule.direction = string(v, "\(path).direction") ?? ""
            case "ethertype": rule.ethertype = string(v, "\(path).ethertype")
            case "protocol": rule.protocol = string(v, "\(path).protocol")
            case "ports": rule.ports = string(v, "\(path).ports")
            case "icmp_type": rule.icmpType = int(v, "\(path).icmp_type")
            case "icmp_code": rule.icmpCode = int(v, "\(path).icmp_code")
            case "remote": rule.remote = string(v, "\(path).remote")
            case "remote_group": rule.remoteGroup = string(v, "\(path).remote_group")
            case "action": rule.action = string(v, "\(path).action")
            case "priority": rule.priority = int(v, "\(path).priority")
            case "description": rule.description = v.scalar?.string
            default: break
            }
        }
        if !fields.contains(where: { $0.0 == "direction" }) { fail(node, path, "missing required key 'direction'"); return nil }
        marks[path] = (node.mark?.line ?? 0, node.mark?.column ?? 0)
        return rule
    }

    mutating func portAddress(_ node: Node, _ path: String) -> PortAddress? {
        guard let fields = mapping(node, path, allowed: ["mac", "ips"]) else { return nil }
        var mac: String?, ips: [String]?
        for (k, v) in fields {
            if k == "mac" { mac = self.mac(v, "\(path).mac") }
            if k == "ips" { ips = list(v, "\(path).ips") { r, n, p in r.string(n, p) } }
        }
        guard let mac else {
            if !fields.contains(where: { $0.0 == "mac" }) { fail(node, path, "missing required key 'mac'") }
            return nil
        }
        return PortAddress(mac: mac, ips: ips)
    }
}

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
        func add(_ key: String, _ path: String, _ reason: String) {
            let m = mark(key, in: marks)
            errors.append(ConfigError(file: file, line: m.0, column: m.1, path: path, reason: reason, object: objectKey(key)))
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
                    add(key, "ports.\(p.name).addresses", "\(ip) is already an address of port '\(other)'")
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
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else { return nil }
        guard let first = UInt8(parts[0], radix: 16), first & 1 == 0 else { return nil }
        return text.lowercased()
    }
}
