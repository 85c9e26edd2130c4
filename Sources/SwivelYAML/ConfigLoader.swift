import SwivelControl
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

