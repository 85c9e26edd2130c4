import SwivelAddress
/// A packet described by fields in the spirit of ovs-ofctl's flow syntax, for `swivelctl trace`:
/// `eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ip_dst=10.2.0.5,tcp,tcp_dst=80`, or a frame in hex.
/// Unnamed fields get harmless defaults (a locally administered source, broadcast destination, IPv4 when
/// any IP or L4 field is named).
public struct PacketSpec: Equatable, Sendable {
    public var ethSource = MACAddress(2, 0, 0, 0, 0, 1)
    public var ethDestination = MACAddress.broadcast
    public var vlan: UInt16?
    public var etherType: UInt16?
    public var ipSource: UInt32 = 0x0A00_0001
    public var ipDestination: UInt32 = 0x0A00_0002
    public var proto: UInt8?           // 6 tcp, 17 udp, 1 icmp
    public var sourcePort: UInt16 = 12345
    public var destinationPort: UInt16 = 80
    public var isARP = false
    public var usesIP = false

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public init() {}

    public static func parse(_ text: String) throws(Invalid) -> PacketSpec {
        var s = PacketSpec()
        for field in text.split(separator: ",").map({ String($0.filter { $0 != " " }) }) where !field.isEmpty {
            let kv = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = kv[0], value = kv.count == 2 ? kv[1] : nil
            guard !key.isEmpty else { throw Invalid(description: "'\(field)' names no field (expected field=value)") }
            func need() throws(Invalid) -> String {
                guard let value else { throw Invalid(description: "\(key) needs a value (\(key)=…)") }
                return value
            }
            func mac() throws(Invalid) -> MACAddress {
                guard let m = MACAddress(try need()) else { throw Invalid(description: "\(key): '\(value ?? "")' is not a MAC address") }
                return m
            }
            func ip() throws(Invalid) -> UInt32 {
                guard let a = IPv4Address.parse(try need()) else { throw Invalid(description: "\(key): '\(value ?? "")' is not an IPv4 address") }
                s.usesIP = true
                return a
            }
            func port() throws(Invalid) -> UInt16 {
                guard let p = UInt16(try need()) else { throw Invalid(description: "\(key): '\(value ?? "")' is not a port number") }
                return p
            }
            switch key {
            case "eth_src": s.ethSource = try mac()
            case "eth_dst": s.ethDestination = try mac()
            case "vlan":
                guard let v = UInt16(try need()), (1...4094).contains(v) else { throw Invalid(description: "vlan must be 1-4094") }
                s.vlan = v
            case "eth_type":
                let v = try need()
                guard let t = v.hasPrefix("0x") ? UInt16(v.dropFirst(2), radix: 16) : UInt16(v) else {
                    throw Invalid(description: "eth_type: '\(v)' is not a number")
                }
                s.etherType = t
            case "ip_src": s.ipSource = try ip()
            case "ip_dst": s.ipDestination = try ip()
            case "ip": s.usesIP = true
            case "tcp": s.proto = IPProtocol.tcp; s.usesIP = true
            case "udp": s.proto = IPProtocol.udp; s.usesIP = true
            case "icmp": s.proto = IPProtocol.icmp; s.usesIP = true
            case "arp": s.isARP = true
            case "tcp_src", "udp_src": s.sourcePort = try port(); s.proto = s.proto ?? (key == "tcp_src" ? IPProtocol.tcp : IPProtocol.udp); s.usesIP = true
            case "tcp_dst", "udp_dst": s.destinationPort = try port(); s.proto = s.proto ?? (key == "tcp_dst" ? IPProtocol.tcp : IPProtocol.udp); s.usesIP = true
            default:
                throw Invalid(description: "unknown field '\(key)' (expected eth_src, eth_dst, vlan, eth_type, ip, ip_src, ip_dst, tcp, udp, icmp, arp, tcp_src, tcp_dst, udp_src, udp_dst)")
            }
        }
        return s
    }

    /// A frame as hex digits (spaces and colons allowed).
    public static func parseHex(_ text: String) throws(Invalid) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace && $0 != ":" }
        guard digits.count % 2 == 0, !digits.isEmpty else { throw Invalid(description: "hex frame must have an even number of digits") }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            guard let b = UInt8(digits[i..<j], radix: 16) else { throw Invalid(description: "'\(digits[i..<j])' is not a hex byte") }
            out.append(b)
            i = j
        }
        return out
    }

    public func build() -> [UInt8] {
        if isARP {
            var f = PacketBuilder.arpRequest(source: ethSource, senderIP: ipSource, targetIP: ipDestination)
            ethDestination.bytes.enumerated().forEach { f[$0.offset] = $0.element }
            return vlan.map { v in Array(f[0..<12]) + PacketBuilder.be16(EtherType.vlan) + PacketBuilder.be16(v) + Array(f[12...]) } ?? f
        }
        let payload: [UInt8]
        let type: UInt16
        if usesIP {
            type = EtherType.ipv4
            switch proto {
            case IPProtocol.tcp:
                payload = PacketBuilder.tcp(source: ipSource, destination: ipDestination, sourcePort: sourcePort,
                                            destinationPort: destinationPort, sequence: 1, flags: 0x02, payload: [])
            case IPProtocol.udp:
                payload = PacketBuilder.udp(source: ipSource, destination: ipDestination, sourcePort: sourcePort,
                                            destinationPort: destinationPort, payload: [UInt8](repeating: 0, count: 18))
            case IPProtocol.icmp:
                payload = PacketBuilder.icmpEcho(source: ipSource, destination: ipDestination, identifier: 1, sequence: 1)
            default:
                payload = PacketBuilder.ipv4(source: ipSource, destination: ipDestination, proto: proto ?? 253,
                                             payload: [UInt8](repeating: 0, count: 26))
            }
        } else {
            type = etherType ?? 0x88B5   // IEEE local experimental
            payload = [UInt8](repeating: 0, count: 46)
        }
        return PacketBuilder.ethernet(destination: ethDestination, source: ethSource, etherType: etherType ?? type,
                                      vlan: vlan, payload: payload)
    }
}
