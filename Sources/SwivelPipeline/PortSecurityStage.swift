import SwivelPacket
import SwivelCore
import SwivelAddress

/// port-security: on ports pinned to their addresses, drops what a workload must not send: another source
/// MAC, ARP claiming another MAC or IPv4 address, IP from a foreign source address, and the messages only
/// servers and routers send (DHCP and DHCPv6 server replies, IPv6 router advertisements and redirects,
/// neighbour advertisements for addresses the port does not own). DHCP discovery (0.0.0.0 to port 67) and
/// duplicate address detection (from ::) stay allowed, as does the MAC's own EUI-64 link-local address.
/// Runs before l2 so that a forged source MAC is never learned.
/// Decides: drop (port-security-mac, port-security-arp, port-security-ip, dhcp-server-guard, ra-guard, nd-spoof).
/// Reads meta: inPort, source, etherType, l3Offset, length.
public enum PortSecurityStage {
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, topology: Topology,
                               decisions: UnsafeMutablePointer<Decision>, trace: TraceBuffer) {
        let table = topology.security
        for i in 0..<batch.count where decisions[i].action != .drop {
            let m = pool.meta + Int(batch[i])
            let port = Int(m.pointee.inPort)
            guard table.isSecured(port) else { continue }
            let verdict = check(m, data: UnsafeRawPointer(pool.data(batch[i])), port: port, table: table)
            if let verdict { decisions[i] = .drop(verdict) }
            if m.pointee.flags & FrameMeta.traced != 0 {
                trace.append(TraceRecord(packet: m.pointee.traceID, stage: StageID.portSecurity, verdict: verdict == nil ? .continue : .drop,
                                         reason: verdict?.rawValue ?? 0, port: UInt16(port), source: m.pointee.source))
            }
        }
    }

    /// Why the frame must be dropped, or nil when the port may send it.
    @inlinable
    static func check(_ m: UnsafeMutablePointer<FrameMeta>, data p: UnsafeRawPointer, port: Int,
                      table: PortSecurityTable) -> DropReason? {
        guard let e = table.entry(port: port, mac: m.pointee.source) else { return .portSecurityMAC }
        let l3 = Int(m.pointee.l3Offset)
        let available = Int(m.pointee.length) - l3
        switch m.pointee.etherType {
        case EtherType.arp:
            guard available >= 28 else { return .portSecurityARP }
            let senderMAC = MACAddress(loadingFrom: p + l3 + 8)
            let senderIP = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 14, as: UInt32.self))
            if senderMAC != m.pointee.source { return .portSecurityARP }
            if senderIP != 0 && !table.owns(e, ipv4: senderIP) { return .portSecurityARP }   // 0: an ARP probe
            return nil
        case EtherType.ipv4:
            guard available >= 20 else { return .portSecurityIP }
            let ihl = Int(p.load(fromByteOffset: l3, as: UInt8.self) & 0x0F) * 4
            let source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 12, as: UInt32.self))
            let isUDP = p.load(fromByteOffset: l3 + 9, as: UInt8.self) == IPProtocol.udp
            let firstFragment = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 6, as: UInt16.self)) & 0x1FFF == 0
            var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
            if isUDP && firstFragment && ihl >= 20 && available >= ihl + 4 {
                sourcePort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + ihl, as: UInt16.self))
                destinationPort = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + ihl + 2, as: UInt16.self))
            }
            if sourcePort == 67 { return .dhcpServerGuard }
            if source == 0 { return destinationPort == 67 ? nil : .portSecurityIP }   // DHCP discover/request
            return table.owns(e, ipv4: source) ? nil : .portSecurityIP
        case EtherType.ipv6:
            guard available >= 40 else { return .portSecurityIP }
            let source = IPv6Address(loadingFrom: p + l3 + 8)
            // The packet ends where its payload length says (bytes after it are padding, not options).
            let end = min(l3 + available, l3 + 40 + Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: l3 + 4, as: UInt16.self))))
            // Find the upper-layer header behind every extension header, however many (each is at least 8
            // bytes, so the walk ends within the frame). A guard that gave up early would pass what it
            // cannot see: a chain that runs past the frame is dropped, and so is a first fragment that does
            // not carry the upper-layer header (RFC 7112), since an RA could hide in the next fragment.
            var next = p.load(fromByteOffset: l3 + 6, as: UInt8.self)
            var offset = l3 + 40
            var laterFragment = false
            walk: while true {
                switch next {
                case 0, 43, 60, 135, 139, 140, 253, 254:   // hop-by-hop, routing, destination options, mobility, HIP, shim6, experiments
                    guard offset + 8 <= end else { return .ipv6BadHeaderChain }
                    next = p.load(fromByteOffset: offset, as: UInt8.self)
                    offset += (Int(p.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
                case 51:   // authentication header: length in 4-byte units
                    guard offset + 8 <= end else { return .ipv6BadHeaderChain }
                    next = p.load(fromByteOffset: offset, as: UInt8.self)
                    offset += (Int(p.load(fromByteOffset: offset + 1, as: UInt8.self)) + 2) * 4
                case 44:
                    guard offset + 8 <= end else { return .ipv6BadHeaderChain }
                    let fragmentOffset = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) >> 3
                    next = p.load(fromByteOffset: offset, as: UInt8.self)
                    offset += 8
                    if fragmentOffset != 0 { laterFragment = true; break walk }   // no headers in a later fragment
                default:
                    break walk
                }
            }
            if !laterFragment {
                if next == IPProtocol.icmpv6 {
                    guard offset + 4 <= end else { return .ipv6BadHeaderChain }
                    let type = p.load(fromByteOffset: offset, as: UInt8.self)
                    if type == 134 || type == 137 { return .raGuard }   // router advertisement, redirect
                    if type == 135 || type == 136 {
                        if let spoofed = checkND(type: type, p, at: offset, end: end, entry: e, table: table) { return spoofed }
                    }
                    // Duplicate address detection and MLD reports come from ::.
                    if source == .unspecified { return nil }
                } else if next == IPProtocol.udp {
                    guard offset + 4 <= end else { return .ipv6BadHeaderChain }
                    if UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) == 547 { return .dhcpServerGuard }
                }
            }
            return table.owns(e, ipv6: source) ? nil : .portSecurityIP
        default:
            return nil
        }
    }

    /// Neighbour solicitations and advertisements: an advertisement's target must be the port's, and the
    /// link-layer address options (source in an NS, target in an NA) must be the port's MAC, or the
    /// workload could point a neighbour's cache at somebody else.
    @inlinable
    static func checkND(type: UInt8, _ p: UnsafeRawPointer, at offset: Int, end: Int, entry e: Int,
                        table: PortSecurityTable) -> DropReason? {
        guard offset + 24 <= end else { return .ndSpoof }
        if type == 136 && !table.owns(e, ipv6: IPv6Address(loadingFrom: p + offset + 8)) { return .ndSpoof }
        let wanted: UInt8 = type == 135 ? 1 : 2   // source / target link-layer address option
        let mac = table.entries[e].mac
        var option = offset + 24
        while option + 2 <= end {
            let kind = p.load(fromByteOffset: option, as: UInt8.self)
            let length = Int(p.load(fromByteOffset: option + 1, as: UInt8.self)) * 8
            guard length > 0, option + length <= end else { return .ndSpoof }   // RFC 4861: length 0 is invalid
            if kind == wanted && (length < 8 || MACAddress(loadingFrom: p + option + 2) != mac) { return .ndSpoof }
            option += length
        }
        return nil
    }
}
