import SwivelPacket

/// A rule as operators see it: where it comes from and what it says (`acl show`, traces, hit counters).
public struct ACLRuleInfo: Sendable, Equatable {
    public var id: UInt32
    /// The security group, or "" for the built-in rules.
    public var group: String
    /// Position in the group's `rules` list (0-based), -1 for built-in rules.
    public var index: Int
    public var direction: String
    public var action: String
    public var priority: Int
    /// The rule in one line ("ingress tcp 5432 from group web allow").
    public var text: String
    public init(id: UInt32, group: String, index: Int, direction: String, action: String, priority: Int, text: String) {
        self.id = id; self.group = group; self.index = index; self.direction = direction; self.action = action
        self.priority = priority; self.text = text
    }
    /// What identifies the rule across applies: its hit counter survives a change elsewhere.
    public var identity: String { "\(group)|\(direction)|\(text)|\(action)|\(priority)" }

    public static let builtIn: [ACLRuleInfo] = [
        ACLRuleInfo(id: ACLRuleID.ingressDefault, group: "", index: -1, direction: "ingress", action: "deny",
                    priority: Int(Int32.min), text: "default: nothing else allowed into a port with security groups"),
        ACLRuleInfo(id: ACLRuleID.egressDefault, group: "", index: -1, direction: "egress", action: "allow",
                    priority: Int(Int32.min), text: "default: everything else allowed out of a port (tracked)"),
        ACLRuleInfo(id: ACLRuleID.implicitDHCP, group: "", index: -1, direction: "ingress", action: "allow",
                    priority: Int(ACLRuleID.implicitPriority), text: "implicit: udp 68 (DHCP replies to the port)"),
        ACLRuleInfo(id: ACLRuleID.related, group: "", index: -1, direction: "both", action: "allow",
                    priority: Int(Int32.max), text: "related: ICMP errors about a tracked connection"),
    ]
}

/// The datapath's security groups: which policy guards each port in each direction, the compiled rules,
/// and what each rule id means. Immutable; the control plane builds a new one and the datapath adopts it
/// between batches.
/// Ownership: shared read-only snapshot (compiled off the datapath by SecurityBuilder, adopted between
/// batches).
public final class SecurityTable: @unchecked Sendable {
    public let maxPorts: Int
    /// Policy of packets into / out of each port; -1: the port has no security groups (open).
    public let ingressPolicy: [Int32]
    public let egressPolicy: [Int32]
    public let classifier: ACLClassifier
    /// Rule descriptions by id.
    public let rules: [ACLRuleInfo]
    /// Security groups of each guarded port (for `acl show --port`).
    public let groupsOfPort: [Int: [String]]
    /// Equal signatures mean equal decisions: adopting a table with another signature revalidates
    /// tracked connections.
    public let signature: String
    public let guardedCount: Int

    public init(maxPorts: Int, ingressPolicy: [Int32], egressPolicy: [Int32], classifier: ACLClassifier,
                rules: [ACLRuleInfo], groupsOfPort: [Int: [String]], signature: String) {
        precondition(ingressPolicy.count == maxPorts && egressPolicy.count == maxPorts)
        self.maxPorts = maxPorts; self.ingressPolicy = ingressPolicy; self.egressPolicy = egressPolicy
        self.classifier = classifier; self.rules = rules; self.groupsOfPort = groupsOfPort; self.signature = signature
        guardedCount = ingressPolicy.filter { $0 >= 0 }.count
    }

    /// No port guarded.
    public static func empty(maxPorts: Int) -> SecurityTable {
        SecurityTable(maxPorts: maxPorts, ingressPolicy: .init(repeating: -1, count: maxPorts),
                      egressPolicy: .init(repeating: -1, count: maxPorts), classifier: ACLClassifierBuilder().build(),
                      rules: ACLRuleInfo.builtIn, groupsOfPort: [:], signature: "")
    }

    @inlinable @inline(__always)
    public func isGuarded(_ port: Int) -> Bool { ingressPolicy[port] >= 0 }
}
