import Foundation
import SwivelAddress

/// The range and format rules of every field of the model, in one table. Every entry point (the YAML file,
/// the command line, the JSON API, the CNI plugin through the API, the state file) is checked against the
/// same table by `Validator.validate`, and Docs/openapi.yaml carries the same rules as
/// `minimum`/`maximum`/`pattern`/`enum` (a test compares the two). The YAML reader checks only types, so
/// a value is never judged twice by different rules.
public struct FieldRule: Sendable {
    public enum Check: Sendable {
        case integer(ClosedRange<Int>)
        case text(TextFormat)
        case oneOf([String])
    }
    /// Where the rule applies, over the JSON form of the model: `networks[].vlan` is the `vlan` of every
    /// element of `networks`; `ports[].labels.*` every value of the `labels` mapping.
    public let path: String
    public let check: Check
    public init(_ path: String, _ check: Check) { self.path = path; self.check = check }
}

/// The text formats of the model. `pattern` is the regular expression Docs/openapi.yaml states; a few
/// formats check more than a pattern can say (the group bit of a MAC, IPv6 syntax, a port range's order).
public enum TextFormat: String, CaseIterable, Sendable {
    /// Object names: they appear in API paths, port lists and metrics labels.
    case name
    /// Linux interface names (IFNAMSIZ - 1 bytes; no '/', ':' or white space).
    case interfaceName
    case unicastMAC
    case ipv4
    /// IPv4 or IPv6.
    case ipAddress
    case ipv4Prefix
    /// A TCP/UDP port or "from-to".
    case portRange
    /// Free text (descriptions, labels): bounded, no control characters.
    case freeText

    static let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"

    public var pattern: String {
        switch self {
        case .name: return "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
        case .interfaceName: return "^[A-Za-z0-9_.@+-]{1,15}$"
        case .unicastMAC: return "^[0-9A-Fa-f][02468ACEace](:[0-9A-Fa-f]{2}){5}$"
        case .ipv4: return "^(\(Self.octet)\\.){3}\(Self.octet)$"
        case .ipAddress: return "^[0-9A-Fa-f:.]{2,45}$"
        case .ipv4Prefix: return "^(\(Self.octet)\\.){3}\(Self.octet)/(3[0-2]|[12]?[0-9])$"
        case .portRange: return "^[0-9]{1,5}(-[0-9]{1,5})?$"
        case .freeText: return "^[^\\x00-\\x1f\\x7f]{0,1024}$"
        }
    }

    /// What the field must be, for error messages.
    public var expectation: String {
        switch self {
        case .name: return "a name of 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit"
        case .interfaceName: return "an interface name of 1-15 letters, digits, '_', '.', '@', '+' or '-' (not '.' or '..')"
        case .unicastMAC: return "a unicast MAC address (xx:xx:xx:xx:xx:xx, group bit clear)"
        case .ipv4: return "an IPv4 address (a.b.c.d)"
        case .ipAddress: return "an IPv4 or IPv6 address without a prefix length"
        case .ipv4Prefix: return "an IPv4 prefix (a.b.c.d/len)"
        case .portRange: return "a port (0-65535) or a range 'from-to' with from <= to"
        case .freeText: return "text of at most 1024 characters without control characters"
        }
    }

    /// Whether `text` has the format. Written out by hand rather than matched against `pattern`: a
    /// document of 10 000 rules is checked in milliseconds this way (regular expressions on Linux took
    /// seconds). `ValidatorTests` checks that the two agree on every example and on random strings.
    public func accepts(_ text: String) -> Bool {
        let u = Array(text.utf8)
        func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
        func isHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66) }
        switch self {
        case .name:
            guard (1...63).contains(u.count), isAlnum(u[0]) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
        case .interfaceName:
            guard (1...15).contains(u.count), text != ".", text != ".." else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x40 || $0 == 0x2B || $0 == 0x2D }
        case .unicastMAC:
            guard u.count == 17 else { return false }
            for (i, c) in u.enumerated() where (i % 3 == 2 ? c != 0x3A : !isHex(c)) { return false }
            return Self.hexValue(u[1]) & 1 == 0
        case .ipv4:
            return Self.strictIPv4(u[...])
        case .ipAddress:
            guard (2...45).contains(u.count), u.allSatisfy({ isHex($0) || $0 == 0x3A || $0 == 0x2E }) else { return false }
            return IPv4Address.parse(text) != nil || IPv6Address.parse(text) != nil
        case .ipv4Prefix:
            guard let slash = u.firstIndex(of: 0x2F), Self.strictIPv4(u[..<slash]) else { return false }
            let length = u[(slash + 1)...]
            guard (1...2).contains(length.count), length.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            if length.count == 2 && length.first == 0x30 { return false }
            return Int(String(decoding: length, as: UTF8.self)).map { $0 <= 32 } ?? false
        case .portRange:
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count),
                  parts.allSatisfy({ (1...5).contains($0.utf8.count) && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { return false }
            let values = parts.compactMap { Int($0) }
            return values.allSatisfy { $0 <= 65535 } && (values.count == 1 || values[0] <= values[1])
        case .freeText:
            return text.unicodeScalars.count <= 1024 && !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }

    /// Four decimal octets of 0-255 without leading zeros (as the pattern says: "010" is refused, since
    /// some parsers read it as octal).
    static func strictIPv4(_ u: ArraySlice<UInt8>) -> Bool {
        let parts = u.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            if p.count > 1 && p.first == 0x30 { return false }
            guard let v = Int(String(decoding: p, as: UTF8.self)), v <= 255 else { return false }
        }
        return true
    }
}

extension FieldRule {
    /// Every range and format rule of the model. Cross-object rules (unique names, references, overlaps)
    /// are in `Validator`.
    public static let table: [FieldRule] = [
        .init("networks[].name", .text(.name)),
        .init("networks[].vlan", .integer(1...4094)),
        .init("networks[].vni", .integer(1...16_777_215)),
        .init("networks[].mtu", .integer(68...65535)),
        .init("networks[].subnets[].cidr", .text(.ipv4Prefix)),
        .init("networks[].subnets[].gateway", .text(.ipv4)),
        .init("networks[].fdb.aging_seconds", .integer(1...1_000_000)),
        .init("networks[].fdb.max_entries", .integer(1...16_777_216)),
        .init("networks[].remote_vteps[]", .text(.ipv4)),
        .init("networks[].owner", .text(.name)),
        .init("routers[].name", .text(.name)),
        .init("routers[].networks[].network", .text(.name)),
        .init("routers[].networks[].address", .text(.ipv4)),
        .init("routers[].networks[].mac", .text(.unicastMAC)),
        .init("routers[].routes[].to", .text(.ipv4Prefix)),
        .init("routers[].routes[].via", .text(.ipv4)),
        .init("routers[].owner", .text(.name)),
        .init("security_groups[].name", .text(.name)),
        .init("security_groups[].description", .text(.freeText)),
        .init("security_groups[].owner", .text(.name)),
        .init("security_groups[].rules[].direction", .oneOf(["ingress", "egress"])),
        .init("security_groups[].rules[].ethertype", .oneOf(["ipv4", "ipv6"])),
        .init("security_groups[].rules[].protocol", .oneOf(["tcp", "udp", "icmp", "any"])),
        .init("security_groups[].rules[].ports", .text(.portRange)),
        .init("security_groups[].rules[].icmp_type", .integer(0...255)),
        .init("security_groups[].rules[].icmp_code", .integer(0...255)),
        .init("security_groups[].rules[].remote", .text(.ipv4Prefix)),
        .init("security_groups[].rules[].remote_group", .text(.name)),
        .init("security_groups[].rules[].action", .oneOf(["allow", "deny"])),
        .init("security_groups[].rules[].priority", .integer(0...65535)),
        .init("security_groups[].rules[].description", .text(.freeText)),
        .init("ports[].name", .text(.name)),
        .init("ports[].kind", .oneOf(PortKind.allCases.map(\.rawValue))),
        .init("ports[].device", .text(.interfaceName)),
        .init("ports[].network", .text(.name)),
        .init("ports[].trunk[]", .text(.name)),
        .init("ports[].native", .text(.name)),
        .init("ports[].addresses[].mac", .text(.unicastMAC)),
        .init("ports[].addresses[].ips[]", .text(.ipAddress)),
        .init("ports[].owner", .text(.name)),
        .init("ports[].labels.*", .text(.freeText)),
        .init("ports[].max_macs", .integer(1...16_777_216)),
        .init("ports[].static_macs[]", .text(.unicastMAC)),
        .init("ports[].storm_control_pps", .integer(1...10_000_000)),
        .init("ports[].offloads", .oneOf(OffloadSetting.allCases.map(\.rawValue))),
        .init("ports[].security_groups[]", .text(.name)),
        .init("overlay.local_ip", .text(.ipv4)),
        .init("overlay.device", .text(.interfaceName)),
        .init("overlay.udp_port", .integer(1...65535)),
        .init("overlay.ttl", .integer(1...255)),
        .init("overlay.owner", .text(.name)),
    ]

    // A list element is named in error paths by its `name` when it has one ("ports.c1.device"), by its
    // index otherwise ("networks.blue.subnets[0].cidr").

    /// The table as a tree of path segments, so a document is walked once, whatever the number of rules.
    final class Trie: @unchecked Sendable {
        var children: [(String, Trie)] = []
        var rules: [FieldRule] = []
        func child(_ segment: String) -> Trie {
            if let c = children.first(where: { $0.0 == segment }) { return c.1 }
            let c = Trie()
            children.append((segment, c))
            return c
        }
    }
    static let trie: Trie = {
        let root = Trie()
        for rule in table {
            var node = root
            for segment in rule.path.replacingOccurrences(of: "[]", with: ".[]").split(separator: ".") { node = node.child(String(segment)) }
            node.rules.append(rule)
        }
        return root
    }()

    /// Checks one document against the table. `report(indexPath, path, reason)`: `indexPath` is the
    /// position ("ports[2].device", how the YAML reader marks lines), `path` the name-based path
    /// ("ports.c1.device") that error messages and API errors carry.
    static func check(_ config: NetworkConfig, report: (String, String, String) -> Void) {
        guard let data = try? JSONEncoder().encode(config), let root = try? JSONSerialization.jsonObject(with: data) else {
            report("", "", "the document cannot be encoded")
            return
        }
        var trail: [Step] = []
        walk(root, trie, &trail, report)
    }

    /// One step of the way down to a value: a key, or a list element by index (and its name, if it has one).
    enum Step { case key(String), element(Int, name: String?) }

    /// Both paths of a value, built only when it breaks a rule.
    static func paths(_ trail: [Step]) -> (indexPath: String, path: String) {
        var indexPath = "", path = ""
        for step in trail {
            switch step {
            case .key(let k):
                indexPath += indexPath.isEmpty ? k : ".\(k)"
                path += path.isEmpty ? k : ".\(k)"
            case .element(let i, let name):
                indexPath += "[\(i)]"
                path += name.map { ".\($0)" } ?? "[\(i)]"
            }
        }
        return (indexPath, path)
    }

    static func walk(_ node: Any, _ trie: Trie, _ trail: inout [Step], _ report: (String, String, String) -> Void) {
        for rule in trie.rules {
            if let reason = rule.violation(node) {
                let (indexPath, path) = paths(trail)
                report(indexPath, path, reason)
            }
        }
        guard !trie.children.isEmpty else { return }
        let map = node as? [String: Any]
        for (segment, child) in trie.children {
            switch segment {
            case "[]":
                guard let list = node as? [Any] else { continue }
                for (i, element) in list.enumerated() {
                    let name = ((element as? [String: Any])?["name"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                    trail.append(.element(i, name: name))
                    walk(element, child, &trail, report)
                    trail.removeLast()
                }
            case "*":
                guard let map else { continue }
                for key in map.keys.sorted() {
                    trail.append(.key(key))
                    walk(map[key] as Any, child, &trail, report)
                    trail.removeLast()
                }
            default:
                guard let value = map?[segment], !(value is NSNull) else { continue }
                trail.append(.key(segment))
                walk(value, child, &trail, report)
                trail.removeLast()
            }
        }
    }

    /// Why `value` breaks the rule, or nil.
    func violation(_ value: Any) -> String? {
        switch check {
        case .integer(let range):
            // The document is the typed model encoded, so an integer field holds an integer.
            guard let i = value as? Int else { return "expected a whole number" }
            return range.contains(i) ? nil : "must be between \(range.lowerBound) and \(range.upperBound), got \(i)"
        case .text(let format):
            // Port ranges may be written as a plain number.
            if format == .portRange, let i = value as? Int {
                return (0...65535).contains(i) ? nil : "'\(i)' is not \(format.expectation)"
            }
            guard let s = value as? String else { return "expected text" }
            return format.accepts(s) ? nil : "'\(Self.quoted(s))' is not \(format.expectation)"
        case .oneOf(let allowed):
            guard let s = value as? String else { return "expected one of: \(allowed.joined(separator: ", "))" }
            return allowed.contains(s) ? nil : "expected one of \(allowed.joined(separator: ", ")), got '\(Self.quoted(s))'"
        }
    }

    /// A value as error messages show it: at most 64 characters, control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars.prefix(64) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return s.unicodeScalars.count > 64 ? out + "…" : out
    }
}
