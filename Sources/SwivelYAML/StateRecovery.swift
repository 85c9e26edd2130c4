import SwivelControl
import Yams

/// Loading a state file that an older version wrote and this version's validator refuses: each object that
/// validates is kept, each that does not is set aside with its reasons (`swiveld --state-file-recover`).
/// An object is refused whole, and whatever refers to it is refused in turn, so what is kept is a state
/// the validator accepts.
public enum StateRecovery {
    public struct Rejected: Sendable, Equatable {
        /// "networks[2]", "overlay", or "" for a file that cannot be read at all.
        public var object: String
        /// The object as the file had it (YAML), or the whole file.
        public var text: String
        public var reasons: [String]
    }

    public static func recover(_ text: String, file: String) -> (config: NetworkConfig, rejected: [Rejected]) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return (NetworkConfig(), [Rejected(object: "", text: text, reasons: [ConfigLoader.syntaxError(error, file: file).description])])
        }
        guard var pairs = root?.mapping.map(Array.init) else {
            if root == nil { return (NetworkConfig(), []) }
            return (NetworkConfig(), [Rejected(object: "", text: text, reasons: ["\(file): the state is not a mapping"])])
        }
        var rejected: [Rejected] = []
        // Each round removes at least one object, so this ends; the bound is a guard against a mistake.
        for _ in 0..<10_000 {
            let node = Node.mapping(Node.Mapping(pairs))
            var reader = Reader(file: file)
            let config = reader.config(node)
            var errors = reader.errors
            if errors.isEmpty { errors = Validator.validate(config, file: file, marks: reader.marks) }
            if errors.isEmpty { return (config, rejected) }
            var byObject: [String: [String]] = [:]
            for e in errors { byObject[e.object ?? "", default: []].append(e.description) }
            var remove: [String: Set<Int>] = [:]
            for (object, reasons) in byObject.sorted(by: { $0.key < $1.key }) {
                guard let (section, index) = split(object) else {
                    // A section as a whole (not a list, an unknown key) or the document: set the section aside.
                    let key = object.isEmpty ? nil : object
                    let kept = pairs.filter { key == nil || $0.0.scalar?.string != key }
                    let gone = pairs.filter { key == nil || $0.0.scalar?.string == key }
                    rejected.append(Rejected(object: object, text: yaml(Node.mapping(Node.Mapping(gone))), reasons: reasons))
                    pairs = kept
                    continue
                }
                remove[section, default: []].insert(index)
                let item = pairs.first { $0.0.scalar?.string == section }?.1.sequence.flatMap { index < $0.count ? $0[index] : nil }
                rejected.append(Rejected(object: object, text: item.map(yaml) ?? "", reasons: reasons))
            }
            pairs = pairs.map { key, value in
                guard let name = key.scalar?.string, let indices = remove[name], let seq = value.sequence else { return (key, value) }
                let kept = seq.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
                return (key, Node.sequence(Node.Sequence(kept)))
            }
        }
        return (NetworkConfig(), rejected + [Rejected(object: "", text: text, reasons: ["\(file): recovery did not converge"])])
    }

    /// "ports[2]" -> ("ports", 2); "overlay" -> ("overlay" as a section), i.e. nil for a whole section.
    static func split(_ object: String) -> (String, Int)? {
        guard let open = object.firstIndex(of: "["), object.hasSuffix("]"),
              let i = Int(object[object.index(after: open)..<object.index(before: object.endIndex)]) else { return nil }
        return (String(object[..<open]), i)
    }

    static func yaml(_ node: Node) -> String {
        (try? Yams.serialize(node: node, width: -1)) ?? "\(node)"
    }

    /// The text of a `.rejected` file, YAML: `rejected:` lists each refused object (`where`, `reasons`, and
    /// the object as the file had it under `object`, or the file's text under `text` when it did not parse).
    public static func report(_ rejected: [Rejected], source: String) -> String {
        var out = "# Objects of \(source) that this version refused, with the reasons; the rest was loaded.\n"
        out += "# Fix an object and apply it again (swivelctl apply -f, or the API) to bring it back.\n"
        let items: [Node] = rejected.map { r in
            var pairs: [(Node, Node)] = [("where", Node(r.object.isEmpty ? "the whole file" : r.object)),
                                         ("reasons", Node.sequence(Node.Sequence(r.reasons.map { Node($0) })))]
            if !r.object.isEmpty, let parsed = try? Yams.compose(yaml: r.text) { pairs.append(("object", parsed)) }
            else { pairs.append(("text", Node(r.text))) }
            return Node.mapping(Node.Mapping(pairs))
        }
        out += yaml(Node.mapping(Node.Mapping([("rejected", Node.sequence(Node.Sequence(items)))])))
        return out
    }
}
