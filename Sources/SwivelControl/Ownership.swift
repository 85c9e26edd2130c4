/// Objects of the model: named, with an owner (`config`, `api`, `cni`, `cli`, …).
public protocol ModelObject: Equatable, Sendable {
    var name: String { get }
    var owner: String? { get set }
}

extension NetworkSpec: ModelObject {}
extension RouterSpec: ModelObject {}
extension PortSpec: ModelObject {}
extension SecurityGroupSpec: ModelObject {}
extension OverlaySpec: ModelObject {}

extension NetworkConfig {
    /// Objects without an owner belong to the config file.
    public static let defaultOwner = "config"

    /// The desired state after applying `document` on behalf of `owner`: `owner`'s objects that the
    /// document no longer has are removed, the document's objects are added or replace those of the same
    /// name, and everybody else's objects stay. Objects in the document without an owner get `owner`.
    public func applying(_ document: NetworkConfig, owner: String) -> NetworkConfig {
        func merge<T: ModelObject>(_ running: [T], _ incoming: [T]) -> [T] {
            let stamped = incoming.map { o -> T in var o = o; if o.owner == nil { o.owner = owner }; return o }
            let names = Set(stamped.map(\.name))
            var out = running.filter { (($0.owner ?? Self.defaultOwner) != owner) || names.contains($0.name) }
            for o in stamped {
                if let i = out.firstIndex(where: { $0.name == o.name }) { out[i] = o } else { out.append(o) }
            }
            return out
        }
        return NetworkConfig(networks: merge(networks, document.networks), routers: merge(routers, document.routers),
                             securityGroups: merge(securityGroups, document.securityGroups), ports: merge(ports, document.ports),
                             overlay: merge(overlay.map { [$0] } ?? [], document.overlay.map { [$0] } ?? []).first)
    }

    /// The state without one owner's objects (the command line's are not persisted: they come back with
    /// the command line).
    public func without(owner: String) -> NetworkConfig {
        NetworkConfig(networks: networks.filter { $0.owner != owner }, routers: routers.filter { $0.owner != owner },
                      securityGroups: securityGroups.filter { $0.owner != owner }, ports: ports.filter { $0.owner != owner },
                      overlay: overlay?.owner == owner ? nil : overlay)
    }
}

/// What applying a desired state changes, per kind of object.
public struct ObjectChanges: Codable, Equatable, Sendable {
    public var added: [String] = []
    public var removed: [String] = []
    public var changed: [String] = []
    public init() {}
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    public static func between<T: ModelObject>(_ old: [T], _ new: [T]) -> ObjectChanges {
        var c = ObjectChanges()
        for o in new {
            if let before = old.first(where: { $0.name == o.name }) {
                if before != o { c.changed.append(o.name) }
            } else {
                c.added.append(o.name)
            }
        }
        c.removed = old.filter { o in !new.contains { $0.name == o.name } }.map(\.name)
        return c
    }
}

public struct ApplyPlanDoc: Codable, Equatable, Sendable {
    public var networks: ObjectChanges
    public var routers: ObjectChanges
    public var securityGroups: ObjectChanges
    public var ports: ObjectChanges
    /// "overlay" added, removed or changed.
    public var overlay: ObjectChanges
    /// False for a dry run.
    public var applied: Bool
    public init(from old: NetworkConfig, to new: NetworkConfig, applied: Bool) {
        networks = .between(old.networks, new.networks)
        routers = .between(old.routers, new.routers)
        securityGroups = .between(old.securityGroups, new.securityGroups)
        ports = .between(old.ports, new.ports)
        overlay = .between(old.overlay.map { [$0] } ?? [], new.overlay.map { [$0] } ?? [])
        self.applied = applied
    }
    public var isEmpty: Bool { networks.isEmpty && routers.isEmpty && securityGroups.isEmpty && ports.isEmpty && overlay.isEmpty }
    enum CodingKeys: String, CodingKey { case networks, routers, securityGroups = "security_groups", ports, overlay, applied }

    /// One line: "ports +a -b ~c; routers ~edge", or "no change".
    public var summary: String {
        func part(_ kind: String, _ c: ObjectChanges) -> String? {
            let items = c.added.map { "+\($0)" } + c.removed.map { "-\($0)" } + c.changed.map { "~\($0)" }
            return items.isEmpty ? nil : "\(kind) " + items.joined(separator: " ")
        }
        let parts = [part("networks", networks), part("routers", routers),
                     part("security groups", securityGroups), part("ports", ports), part("overlay", overlay)].compactMap { $0 }
        return parts.isEmpty ? "no change" : parts.joined(separator: "; ")
    }
}
