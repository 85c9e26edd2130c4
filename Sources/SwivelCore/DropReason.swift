/// Every drop has a name. Each case is a per-port counter; `name` is what operators see.
public enum DropReason: UInt8, CaseIterable, Sendable {
    case runt = 0           // shorter than an Ethernet header
    case truncatedTag       // VLAN tag cut off
    case truncated          // the read returned less than the frame's length
    case oversize           // longer than the port's MTU and not a GSO super-frame
    case badOffload         // virtio-net header inconsistent with the frame
    case unsupportedGSO     // a GSO type we do not segment
    case invalidSource      // multicast or zero source MAC
    case linkLocal          // 01:80:C2:00:00:0X (STP, LACP, LLDP): never forwarded
    case hairpin            // destination learned on the ingress port
    case poolExhausted      // no free frame (receive, flood copy or segmentation)
    case txQueueFull        // the egress port's queue was at its cap
    case portDown           // the egress port has no device or is down
    case txError            // the kernel refused the frame on transmit
    case stormControl       // broadcast, multicast or unknown unicast over the port's storm-control rate
    case vlanNotAllowed     // a VLAN ID the port does not carry (or untagged on a trunk without native network)
    case vlanTaggedOnAccess // a tagged frame on an access port (VLAN hopping)
    case qinqUnsupported    // an outer 802.1ad (QinQ) tag
    case portSecurityMAC    // source MAC not among the port's addresses
    case portSecurityARP    // ARP whose sender MAC or IPv4 address is not the port's
    case portSecurityIP     // IPv4 or IPv6 from a source address that is not the port's
    case dhcpServerGuard    // a DHCP (or DHCPv6) server message from a workload port
    case raGuard            // an IPv6 router advertisement from a workload port
    case ndSpoof            // an IPv6 neighbour advertisement for an address the port does not own
    case ipBadHeader        // routed IPv4 with a wrong version or a header length under 20
    case ipBadLength        // routed IPv4 whose header or total length runs past the frame
    case ipBadChecksum      // routed IPv4 with a wrong header checksum
    case ttlExceeded        // routed IPv4 with TTL 1 or 0 (ICMP time exceeded sent)
    case noRoute            // no route to the destination (ICMP net unreachable sent)
    case hostUnreachable    // the next hop never answered ARP (ICMP host unreachable sent)
    case fragmentationNeeded // DF set and longer than the egress MTU (ICMP fragmentation needed sent)
    case fragmentationUnsupported // longer than the egress MTU without DF: the router does not fragment
    case arpQueueFull       // already 3 packets waiting for this next hop's ARP (or the table is full)
    case routerLocal        // addressed to a router address, and not an echo request
    case ipv6Unsupported    // IPv6 sent to a router (IPv6 routing is not implemented yet)
    case l3Unsupported      // neither IPv4, ARP nor IPv6, sent to a router
    case aclDeny            // a security-group rule with action deny matched (the rule id is in traces and hits)
    case aclDefaultDeny     // no rule allowed it into a port with security groups (ingress default)
    case ctInvalid          // TCP that fits no tracked connection state (a SYN-ACK or ACK nobody asked for)
    case ctTableFull        // a new connection found the connection table full of established ones
    case ctRevoked          // its connection was no longer allowed after a rule change, and ended
    case aclFragmentUntracked // a later IPv4 fragment whose first fragment was not allowed (or not seen)
    case aclMalformed       // IPv4 to or from a port with security groups whose headers are cut short or invalid
    case aclIPv6Unsupported // IPv6 other than neighbour discovery to or from a port with security groups
    case vxlanMalformed     // a VXLAN datagram shorter than its header and an Ethernet header
    case vxlanBadFlags      // a VXLAN header without the I flag, or with flags this switch does not know
    case vxlanUnknownVNI    // a VNI no network here carries
    case vxlanUnknownVTEP   // from a VTEP not in the network's remote_vteps (and the overlay does not learn_from_any)
    case overlayMTUExceeded // switched into the overlay and longer than the underlay MTU allows (MTU - 50)
    case overlayNoHeadroom  // no room in front of the frame for the outer headers (only a frame built without headroom)
    case vlanStackedTags    // a second tag behind the outer one (a priority tag hiding a VLAN tag, or a deeper stack)
    case ipv6BadHeaderChain // IPv6 from a secured port whose extension headers run past the frame, or whose first
                            // fragment does not hold the upper-layer header (RFC 7112)

    public var name: String {
        switch self {
        case .runt: "runt"
        case .truncatedTag: "truncated-vlan-tag"
        case .truncated: "truncated"
        case .oversize: "oversize"
        case .badOffload: "bad-offload-header"
        case .unsupportedGSO: "unsupported-gso"
        case .invalidSource: "invalid-source-mac"
        case .linkLocal: "link-local"
        case .hairpin: "hairpin"
        case .poolExhausted: "pool-exhausted"
        case .txQueueFull: "tx-queue-full"
        case .portDown: "port-down"
        case .txError: "tx-error"
        case .stormControl: "storm-control"
        case .vlanNotAllowed: "vlan-not-allowed"
        case .vlanTaggedOnAccess: "vlan-tagged-on-access"
        case .qinqUnsupported: "qinq-unsupported"
        case .portSecurityMAC: "port-security-mac"
        case .portSecurityARP: "port-security-arp"
        case .portSecurityIP: "port-security-ip"
        case .dhcpServerGuard: "dhcp-server-guard"
        case .raGuard: "ra-guard"
        case .ndSpoof: "nd-spoof"
        case .ipBadHeader: "ip-bad-header"
        case .ipBadLength: "ip-bad-length"
        case .ipBadChecksum: "ip-bad-checksum"
        case .ttlExceeded: "ttl-exceeded"
        case .noRoute: "no-route"
        case .hostUnreachable: "host-unreachable"
        case .fragmentationNeeded: "fragmentation-needed"
        case .fragmentationUnsupported: "fragmentation-unsupported"
        case .arpQueueFull: "arp-queue-full"
        case .routerLocal: "router-local"
        case .ipv6Unsupported: "ipv6-unsupported"
        case .l3Unsupported: "l3-unsupported"
        case .aclDeny: "acl-deny"
        case .aclDefaultDeny: "acl-default-deny"
        case .ctInvalid: "ct-invalid"
        case .ctTableFull: "ct-table-full"
        case .ctRevoked: "ct-revoked"
        case .aclFragmentUntracked: "acl-fragment-untracked"
        case .aclMalformed: "acl-malformed"
        case .aclIPv6Unsupported: "acl-ipv6-unsupported"
        case .vxlanMalformed: "vxlan-malformed"
        case .vxlanBadFlags: "vxlan-bad-flags"
        case .vxlanUnknownVNI: "vxlan-unknown-vni"
        case .vxlanUnknownVTEP: "vxlan-unknown-vtep"
        case .overlayMTUExceeded: "overlay-mtu-exceeded"
        case .overlayNoHeadroom: "overlay-no-headroom"
        case .vlanStackedTags: "vlan-stacked-tags"
        case .ipv6BadHeaderChain: "ipv6-bad-header-chain"
        }
    }
}
