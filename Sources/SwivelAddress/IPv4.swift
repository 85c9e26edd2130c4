// IPv4 addresses and prefixes in text and as numbers: what the model, the CLI, the CNI plugin and the
// datapath share. Platform-free (no libc): the control plane and the CNI plugin use it without linking
// the packet library.

/// IPv4 addresses are `UInt32` in host order everywhere in Swivel; this turns them into text and back.
public enum IPv4Address {
    /// Dotted-quad text ("10.0.0.1") to a number; nil for anything else (no shorthand forms such as "10.1").
    public static func parse(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let b = UInt8(p) else { return nil }
            v = v << 8 | UInt32(b)
        }
        return v
    }

    public static func format(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }
}

/// An IPv4 prefix ("10.1.0.0/24"). The address keeps any host bits it was written with (a gateway's
/// "10.1.0.1/24"); `network` drops them.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public var address: UInt32
    public var length: Int
    public init(address: UInt32, length: Int) { self.address = address; self.length = length }
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4Address.parse(parts[0]), let l = Int(parts[1]), (0...32).contains(l) else { return nil }
        address = a; length = l
    }
    public var mask: UInt32 { length == 0 ? 0 : ~UInt32(0) << (32 - length) }
    public var network: UInt32 { address & mask }
    public func contains(_ a: UInt32) -> Bool { a & mask == network }
    public var description: String { "\(IPv4Address.format(network))/\(length)" }
}
