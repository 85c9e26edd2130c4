import SwivelPacket
import SwivelAddress

/// What a port-security port may send: its MACs and, per MAC, its addresses.
/// An address without IPs pins only the MAC.
public struct PortSecurityPolicy: Sendable, Equatable {
    public struct Address: Sendable, Equatable {
        public var mac: MACAddress
        public var ipv4: [UInt32]
        public var ipv6: [IPv6Address]
        public init(mac: MACAddress, ipv4: [UInt32] = [], ipv6: [IPv6Address] = []) {
            self.mac = mac; self.ipv4 = ipv4; self.ipv6 = ipv6
        }
        /// Any IP is listed: sources (and ARP/ND claims) are then limited to the listed ones.
        public var pinsIPs: Bool { !ipv4.isEmpty || !ipv6.isEmpty }
    }
    public var addresses: [Address]
    public init(addresses: [Address]) { self.addresses = addresses }
}

/// Every port's policy, flattened into plain arrays so the stage reads them without reference counting.
public final class PortSecurityTable: Sendable {
    public struct Entry: Sendable {
        public var mac: MACAddress
        public var pinsIPs: Bool
        public var ipv4Start: Int32, ipv4Count: Int32
        public var ipv6Start: Int32, ipv6Count: Int32
        /// The EUI-64 link-local address of `mac`: always the port's own.
        public var linkLocal: IPv6Address
    }
    /// Per port: first entry and entry count; count 0 means no port security.
    public let firstEntry: [Int32]
    public let entryCount: [Int32]
    public let entries: [Entry]
    public let ipv4: [UInt32]
    public let ipv6: [IPv6Address]
    public let policies: [Int: PortSecurityPolicy]

    public init(maxPorts: Int, policies: [Int: PortSecurityPolicy]) {
        var first = [Int32](repeating: 0, count: maxPorts), count = [Int32](repeating: 0, count: maxPorts)
        var entries: [Entry] = [], v4: [UInt32] = [], v6: [IPv6Address] = []
        for port in policies.keys.sorted() where port < maxPorts {
            first[port] = Int32(entries.count)
            count[port] = Int32(policies[port]!.addresses.count)
            for a in policies[port]!.addresses {
                entries.append(Entry(mac: a.mac, pinsIPs: a.pinsIPs, ipv4Start: Int32(v4.count), ipv4Count: Int32(a.ipv4.count),
                                     ipv6Start: Int32(v6.count), ipv6Count: Int32(a.ipv6.count),
                                     linkLocal: .linkLocal(eui64: a.mac)))
                v4 += a.ipv4
                v6 += a.ipv6
            }
        }
        firstEntry = first; entryCount = count; self.entries = entries; ipv4 = v4; ipv6 = v6
        self.policies = policies
    }

    @inlinable @inline(__always)
    public func isSecured(_ port: Int) -> Bool { entryCount[port] != 0 }

    /// The port's entry for a source MAC, or nil.
    @inlinable @inline(__always)
    public func entry(port: Int, mac: MACAddress) -> Int? {
        let start = Int(firstEntry[port])
        for e in start..<start + Int(entryCount[port]) where entries[e].mac == mac { return e }
        return nil
    }

    @inlinable @inline(__always)
    public func owns(_ e: Int, ipv4 address: UInt32) -> Bool {
        let entry = entries[e]
        guard entry.pinsIPs else { return true }
        let start = Int(entry.ipv4Start)
        for i in start..<start + Int(entry.ipv4Count) where ipv4[i] == address { return true }
        return false
    }

    @inlinable @inline(__always)
    public func owns(_ e: Int, ipv6 address: IPv6Address) -> Bool {
        let entry = entries[e]
        guard entry.pinsIPs, address != entry.linkLocal else { return true }
        let start = Int(entry.ipv6Start)
        for i in start..<start + Int(entry.ipv6Count) where ipv6[i] == address { return true }
        return false
    }
}
