import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelAddress

/// Compiles the model's security groups into the datapath's SecurityTable (off the datapath thread).
/// Ports with the same groups share one policy per direction; a `remote_group` rule becomes one /32 match
/// per IPv4 address of that group's ports; every ingress policy gets the implicit DHCP allow.
public enum SecurityBuilder {
    public static func build(_ desired: NetworkConfig, portIDs: [String: UInt16], maxPorts: Int) -> SecurityTable {
        let guarded = desired.ports.filter { !($0.securityGroups ?? []).isEmpty && portIDs[$0.name] != nil }
        if guarded.isEmpty { return .empty(maxPorts: maxPorts) }

        var members: [String: [UInt32]] = [:]
        for p in guarded {
            let addresses = (p.addresses ?? []).flatMap { $0.ips ?? [] }.compactMap(IPv4Address.parse)
            for g in Set(p.securityGroups ?? []) { members[g, default: []] += addresses }
        }
        // Rule ids: the built-in ones, then every configured rule in order.
        var rules = ACLRuleInfo.builtIn
        var ruleIDs: [String: [UInt32]] = [:]
        for g in desired.securityGroups {
            for (i, r) in g.rules.enumerated() {
                let id = UInt32(rules.count)
                rules.append(ACLRuleInfo(id: id, group: g.name, index: i, direction: r.direction, action: r.action ?? "allow",
                                         priority: r.priority ?? 0, text: r.summary))
                ruleIDs[g.name, default: []].append(id)
            }
        }
        let groupsByName = Dictionary(desired.securityGroups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        var builder = ACLClassifierBuilder()
        var policies: [[String]: (Int32, Int32)] = [:]
        var ingress = [Int32](repeating: -1, count: maxPorts), egress = [Int32](repeating: -1, count: maxPorts)
        var groupsOfPort: [Int: [String]] = [:]
        for p in guarded {
            let id = Int(portIDs[p.name]!)
            guard id < maxPorts else { continue }
            let groups = Array(Set(p.securityGroups ?? [])).sorted()
            groupsOfPort[id] = groups
            if let known = policies[groups] { (ingress[id], egress[id]) = known; continue }
            let pair = (Int32(builder.addPolicy()), Int32(builder.addPolicy()))
            builder.add(policy: Int(pair.0), match: ACLMatch(protocolNumber: IPProtocol.udp, ports: 68...68),
                        verdict: ACLVerdict(rule: ACLRuleID.implicitDHCP, priority: ACLRuleID.implicitPriority, deny: false))
            for name in groups {
                guard let g = groupsByName[name] else { continue }
                for (i, r) in g.rules.enumerated() {
                    let verdict = ACLVerdict(rule: ruleIDs[name]![i], priority: Int32(r.priority ?? 0), deny: r.isDeny)
                    let policy = Int(r.direction == "ingress" ? pair.0 : pair.1)
                    for match in matches(r, members: members) { builder.add(policy: policy, match: match, verdict: verdict) }
                }
            }
            policies[groups] = pair
            (ingress[id], egress[id]) = pair
        }
        // What decides: the groups, which ports use them and the members' addresses.
        let signature = "\(desired.securityGroups)|\(groupsOfPort.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })|"
            + "\(members.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.sorted())" })"
        return SecurityTable(maxPorts: maxPorts, ingressPolicy: ingress, egressPolicy: egress, classifier: builder.build(),
                             rules: rules, groupsOfPort: groupsOfPort, signature: signature)
    }

    /// The classifier matches of one rule: one per remote address for a remote group (none when the group has
    /// no members yet: the rule matches nobody).
    static func matches(_ r: SecurityRuleSpec, members: [String: [UInt32]]) -> [ACLMatch] {
        var base = ACLMatch()
        switch r.protocol ?? "any" {
        case "tcp": base.protocolNumber = IPProtocol.tcp
        case "udp": base.protocolNumber = IPProtocol.udp
        case "icmp": base.protocolNumber = IPProtocol.icmp
        default: break
        }
        if let range = r.portRange { base.ports = UInt16(range.lowerBound)...UInt16(range.upperBound) }
        base.icmpType = r.icmpType.map(UInt8.init)
        base.icmpCode = r.icmpCode.map(UInt8.init)
        if let g = r.remoteGroup {
            return Set(members[g] ?? []).sorted().map { a in var m = base; m.remoteAddress = a; m.remoteLength = 32; return m }
        }
        if let remote = r.remote.flatMap(IPv4Prefix.init) {
            base.remoteAddress = remote.network
            base.remoteLength = remote.length
        }
        return [base]
    }
}
