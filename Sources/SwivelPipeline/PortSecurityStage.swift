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
            guard let arp = ARPHeader(p, at: l3, available: available) else { return .portSecurityARP }
            let senderMAC = arp.senderMAC
            let senderIP = arp.senderIP
            if senderMAC != m.pointee.source { return .portSecurityARP }
            if senderIP != 0 && !table.owns(e, ipv4: senderIP) { return .portSecurityARP }   // 0: an ARP probe
            return nil
        case EtherType.ipv4:
            guard let ip = IPv4Header(p, at: l3, available: available) else { return .portSecurityIP }
            let ihl = ip.headerLength
            let source = ip.source
            var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
            if ip.proto == IPProtocol.udp && !ip.isLaterFragment && ihl >= 20 && available >= ihl + 4 {
                let udp = UDPHeader(unchecked: ip.base + ihl)
                sourcePort = udp.sourcePort
                destinationPort = udp.destinationPort
            }
            if sourcePort == 67 { return .dhcpServerGuard }
            if source == 0 { return destinationPort == 67 ? nil : .portSecurityIP }   // DHCP discover/request
            return table.owns(e, ipv4: source) ? nil : .portSecurityIP
        case EtherType.ipv6:
            guard let ip6 = IPv6Header(p, at: l3, available: available) else { return .portSecurityIP }
            let source = ip6.source
            // The packet ends where its payload length says (bytes after it are padding, not options).
            let end = l3 + ip6.end(available: available)
            // The upper-layer header behind every extension header, however many. A guard that gave up
            // early would pass what it cannot see: a chain that runs past the frame is dropped, and so is a
            // first fragment that does not carry the upper-layer header (RFC 7112), since an RA could hide
            // in the next fragment.
            guard let upper = ip6.upperLayer(available: available) else { return .ipv6BadHeaderChain }
            let offset = l3 + upper.offset
            if !upper.laterFragment {   // no headers in a later fragment
                if upper.proto == IPProtocol.icmpv6 {
                    guard offset + ICMPv6Header.minimumLength <= end else { return .ipv6BadHeaderChain }
                    let type = ICMPv6Header(unchecked: p + offset).type
                    if type == ICMPv6Header.routerAdvertisement || type == ICMPv6Header.redirect { return .raGuard }
                    if type == ICMPv6Header.neighborSolicitation || type == ICMPv6Header.neighborAdvertisement {
                        if let spoofed = checkND(type: type, p, at: offset, end: end, entry: e, table: table) { return spoofed }
                    }
                    // Duplicate address detection and MLD reports come from ::.
                    if source == .unspecified { return nil }
                } else if upper.proto == IPProtocol.udp {
                    guard offset + 4 <= end else { return .ipv6BadHeaderChain }
                    if UDPHeader(unchecked: p + offset).sourcePort == 547 { return .dhcpServerGuard }
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
        if type == ICMPv6Header.neighborAdvertisement && !table.owns(e, ipv6: ICMPv6Header(unchecked: p + offset).target) { return .ndSpoof }
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
