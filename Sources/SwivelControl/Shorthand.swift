import SwivelAddress

/// The command-line shorthand of the model (`swiveld --port afpacket:veth1,network=blue --network blue,vlan=10`).
public enum Shorthand {
    /// `KIND:DEVICE[,key=value…]`; keys: name, network (access port), trunk=A+B and native=A (trunk),
    /// mac=M and ips=IP+IP (port security: the port may only send from M with those addresses).
    public static func port(_ text: String) throws(ConfigError) -> PortSpec {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let head = fields[0].split(separator: ":", maxSplits: 1).map(String.init)
        func bad(_ reason: String) -> ConfigError { ConfigError(file: "--port", path: text, reason: reason) }
        guard head.count == 2, !head[1].isEmpty else { throw bad("expected KIND:DEVICE, e.g. afpacket:veth1 or tap:tap0") }
        guard let kind = PortKind(rawValue: head[0]) else {
            throw bad("unknown port kind '\(head[0])' (expected one of: \(PortKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let device = head[1]
        guard device.utf8.count < 16, !device.contains("/"), !device.contains(" ") else {
            throw bad("'\(device)' is not a valid interface name (at most 15 characters, no '/' or spaces)")
        }
        var spec = PortSpec(name: device, kind: kind, device: device, owner: "cli")
        for field in fields.dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw bad("expected key=value, got '\(field)'") }
            switch kv[0] {
            case "network": spec.network = kv[1]
            case "name": spec.name = kv[1]
            case "trunk": spec.trunk = kv[1].split(separator: "+").map(String.init)
            case "native": spec.native = kv[1]
            case "offloads":
                guard let o = OffloadSetting(rawValue: kv[1]) else { throw bad("offloads must be auto, on or off") }
                spec.offloads = o
            case "mac":
                guard let mac = MACText.validUnicast(kv[1]) else { throw bad("'\(kv[1])' is not a unicast MAC address") }
                spec.addresses = [PortAddress(mac: mac, ips: spec.addresses?.first?.ips)]
            case "ips":
                let ips = kv[1].split(separator: "+").map(String.init)
                if let wrong = ips.first(where: { !IPText.isAddress($0) }) { throw bad("'\(wrong)' is not an IPv4 or IPv6 address") }
                spec.addresses = [PortAddress(mac: spec.addresses?.first?.mac ?? "", ips: ips)]
            default: throw bad("unknown key '\(kv[0])' (expected name, network, trunk, native, mac, ips or offloads)")
            }
        }
        if let a = spec.addresses?.first, a.mac.isEmpty { throw bad("ips= needs mac= (the port's MAC address)") }
        return spec
    }

    /// `NAME,networks=A+B[,route=PREFIX@VIA]…`: a router attached to networks (at their subnets'
    /// gateways), with static routes.
    public static func router(_ text: String) throws(ConfigError) -> RouterSpec {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func bad(_ reason: String) -> ConfigError { ConfigError(file: "--router", path: text, reason: reason) }
        guard !fields[0].isEmpty, !fields[0].contains("=") else { throw bad("expected NAME,networks=A+B[,route=PREFIX@VIA]") }
        var spec = RouterSpec(name: fields[0], networks: [], owner: "cli")
        for field in fields.dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw bad("expected key=value, got '\(field)'") }
            switch kv[0] {
            case "networks": spec.networks = kv[1].split(separator: "+").map { RouterAttachment(network: String($0)) }
            case "route":
                let parts = kv[1].split(separator: "@").map(String.init)
                guard parts.count == 2, IPv4Prefix(parts[0]) != nil, IPv4Address.parse(parts[1]) != nil else {
                    throw bad("route=PREFIX@VIA, e.g. route=0.0.0.0/0@10.1.0.254")
                }
                spec.routes = (spec.routes ?? []) + [RouteSpec(to: parts[0], via: parts[1])]
            default: throw bad("unknown key '\(kv[0])' (expected networks or route)")
            }
        }
        if spec.networks.isEmpty { throw bad("a router needs networks=A+B") }
        return spec
    }

    /// `NAME[,vlan=N][,mtu=N][,subnet=CIDR[,gateway=IP]]…` (each `gateway` belongs to the `subnet` before it).
    public static func network(_ text: String) throws(ConfigError) -> NetworkSpec {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func bad(_ reason: String) -> ConfigError { ConfigError(file: "--network", path: text, reason: reason) }
        guard !fields[0].isEmpty, !fields[0].contains("=") else { throw bad("expected NAME[,key=value…]") }
        var spec = NetworkSpec(name: fields[0], owner: "cli")
        for field in fields.dropFirst() {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw bad("expected key=value, got '\(field)'") }
            switch kv[0] {
            case "vlan":
                guard let v = Int(kv[1]), (1...4094).contains(v) else { throw bad("vlan must be 1-4094") }
                spec.vlan = v
            case "mtu":
                guard let v = Int(kv[1]), (68...65535).contains(v) else { throw bad("mtu must be 68-65535") }
                spec.mtu = v
            case "vni":
                guard let v = Int(kv[1]), (1...16_777_215).contains(v) else { throw bad("vni must be 1-16777215") }
                spec.vni = v
            case "remote_vteps":
                let vteps = kv[1].split(separator: "+").map(String.init)
                if let wrong = vteps.first(where: { IPv4Address.parse($0) == nil }) { throw bad("'\(wrong)' is not an IPv4 address") }
                spec.remoteVteps = vteps
            case "subnet":
                guard IPv4Prefix(kv[1]) != nil else { throw bad("'\(kv[1])' is not an IPv4 prefix (a.b.c.d/len)") }
                spec.subnets = (spec.subnets ?? []) + [SubnetSpec(cidr: kv[1])]
            case "gateway":
                guard IPv4Address.parse(kv[1]) != nil else { throw bad("'\(kv[1])' is not an IPv4 address") }
                guard spec.subnets?.isEmpty == false else { throw bad("gateway= follows the subnet= it belongs to") }
                spec.subnets![spec.subnets!.count - 1].gateway = kv[1]
            default: throw bad("unknown key '\(kv[0])' (expected vlan, vni, remote_vteps, mtu, subnet or gateway)")
            }
        }
        return spec
    }

    /// `local_ip=IP[,device=DEV][,udp_port=N][,learn=true|false][,learn_from_any=true|false][,ttl=N][,df=true|false]`: this host as a VTEP.
    public static func overlay(_ text: String) throws(ConfigError) -> OverlaySpec {
        func bad(_ reason: String) -> ConfigError { ConfigError(file: "--overlay", path: text, reason: reason) }
        var spec = OverlaySpec(localIP: "", owner: "cli")
        for field in text.split(separator: ",").map(String.init) {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw bad("expected key=value, got '\(field)'") }
            switch kv[0] {
            case "local_ip":
                guard IPv4Address.parse(kv[1]) != nil else { throw bad("'\(kv[1])' is not an IPv4 address") }
                spec.localIP = kv[1]
            case "device": spec.device = kv[1]
            case "udp_port":
                guard let v = Int(kv[1]), (1...65535).contains(v) else { throw bad("udp_port must be 1-65535") }
                spec.udpPort = v
            case "ttl":
                guard let v = Int(kv[1]), (1...255).contains(v) else { throw bad("ttl must be 1-255") }
                spec.ttl = v
            case "learn", "df", "learn_from_any":
                guard let v = Bool(kv[1]) else { throw bad("\(kv[0]) must be true or false") }
                switch kv[0] {
                case "learn": spec.learn = v
                case "learn_from_any": spec.learnFromAny = v
                default: spec.df = v
                }
            default: throw bad("unknown key '\(kv[0])' (expected local_ip, device, udp_port, learn, learn_from_any, ttl or df)")
            }
        }
        if spec.localIP.isEmpty { throw bad("local_ip= is required (this host's address on the underlay)") }
        return spec
    }
}
