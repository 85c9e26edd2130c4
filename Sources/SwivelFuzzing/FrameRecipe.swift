import SwivelPacket

/// A structure-aware decoder: turns fuzzer bytes into a frame a port could hand the pipeline — which
/// port, a virtio-net header, and the bytes (stacked tags, ARP, IPv4 with options and fragments, IPv6 with
/// extension chains and neighbour discovery, VXLAN for the VXLAN port, GSO super-frames), with fields
/// drawn from `FuzzWorld`'s addresses and from the bytes themselves. Lengths and checksums are right
/// unless the input asks for them to be wrong, so most inputs get past the first checks.
public struct FuzzFrame: Sendable {
    public var port: UInt16
    public var offload: OffloadInfo
    public var bytes: [UInt8]
    /// For the VXLAN port: the VTEP the datagram came from.
    public var remote: UInt32
}

public enum FrameRecipe {
    public static func decode(_ input: inout FuzzInput) -> FuzzFrame {
        let port = UInt16(input.below(FuzzWorld.portCount))
        var offload = OffloadInfo()
        if input.u8() & 3 == 0 {
            offload = OffloadInfo(flags: input.pick([0, 1, 2, 3, input.u8()]),
                                  gsoType: input.pick([0, 1, 3, 4, 0x81, input.u8()]),
                                  headerLength: input.pick([0, 54, 66, input.u16()]),
                                  gsoSize: input.pick([0, 1, 536, 1448, 8948, 65535, input.u16()]),
                                  csumStart: input.pick([34, 38, 54, 58, input.u16()]),
                                  csumOffset: input.pick([6, 16, input.u16()]))
        }
        if port == FuzzWorld.vxlanPort {
            let remote = input.pick([FuzzWorld.vtep, FuzzWorld.stranger, input.u32()])
            let flags = input.pick([Vxlan.flagVNI, 0, 0x0C, input.u8()])
            let vni = input.pick([UInt32(5001), 5002, UInt32(input.u16())])
            let header: [UInt8] = [flags, 0, 0, 0, UInt8(truncatingIfNeeded: vni >> 16), UInt8(truncatingIfNeeded: vni >> 8),
                                   UInt8(truncatingIfNeeded: vni), 0]
            return FuzzFrame(port: port, offload: offload, bytes: cut(header + frame(&input), &input), remote: remote)
        }
        return FuzzFrame(port: port, offload: offload, bytes: cut(frame(&input), &input), remote: 0)
    }

    /// Sometimes the frame is cut short (a truncated header is a case to handle, not to avoid).
    static func cut(_ bytes: [UInt8], _ input: inout FuzzInput) -> [UInt8] {
        guard input.u8() & 7 == 0, !bytes.isEmpty else { return bytes }
        return Array(bytes.prefix(Int(input.u16()) % bytes.count))
    }

    static func frame(_ input: inout FuzzInput) -> [UInt8] {
        let kind = input.below(8)
        if kind == 0 { return input.take(upTo: 2048) }
        var f = input.pick(FuzzWorld.macs).bytes + input.pick(FuzzWorld.macs).bytes
        for _ in 0..<tagCount(&input) {
            f += be16(input.pick([EtherType.vlan, EtherType.vlan, EtherType.qinq, EtherType.legacyQinQ]))
            f += be16(input.pick([0, 10, 20, 30, 99, 4095, input.u16()]) | UInt16(input.below(8)) << 13)
        }
        switch kind {
        case 1, 2: return f + be16(EtherType.arp) + arp(&input)
        case 3, 4: return f + be16(EtherType.ipv4) + ipv4(&input)
        case 5, 6: return f + be16(EtherType.ipv6) + ipv6(&input)
        default: return f + be16(input.u16()) + input.take(upTo: 256)
        }
    }

    static func tagCount(_ input: inout FuzzInput) -> Int {
        switch input.u8() & 0x0F { case 0...8: 0; case 9...12: 1; case 13: 2; case 14: 3; default: 1 + input.below(8) }
    }

    static func arp(_ input: inout FuzzInput) -> [UInt8] {
        var a = be16(input.pick([1, 1, 1, input.u16()])) + be16(input.pick([EtherType.ipv4, EtherType.ipv4, input.u16()]))
        a += [input.pick([6, 6, input.u8()]), input.pick([4, 4, input.u8()])]
        a += be16(input.pick([1, 2, input.u16()])) + input.pick(FuzzWorld.macs).bytes + be32(input.pick(FuzzWorld.ipv4s))
        a += input.pick(FuzzWorld.macs).bytes + be32(input.pick(FuzzWorld.ipv4s))
        return a + input.take(upTo: 18)
    }

    static func ipv4(_ input: inout FuzzInput) -> [UInt8] {
        let source = input.pick(FuzzWorld.ipv4s), destination = input.pick(FuzzWorld.ipv4s)
        let proto = input.pick([IPProtocol.icmp, IPProtocol.tcp, IPProtocol.udp, IPProtocol.tcp, 2, input.u8()])
        let optionWords = input.pick([0, 0, 0, 1, 10, input.below(16)])
        let payload = l4(proto, source: source, destination: destination, &input)
        let headerLength = 20 + optionWords * 4
        var total = headerLength + payload.count
        switch input.u8() & 7 { case 0: total = Int(input.u16()); case 1: total -= 1; default: break }
        var fragment: UInt16 = input.pick([0x4000, 0x4000, 0, 0x2000, 0x2000 | 185, 185, input.u16()])
        if input.u8() & 0x0F == 0 { fragment = input.u16() }
        let ttl = input.pick([64, 64, 1, 0, 2, input.u8()])
        let vihl = input.u8() & 0x1F == 0 ? input.u8() : UInt8(0x40 | (headerLength / 4 & 0x0F))
        var h: [UInt8] = [vihl, input.pick([0, 0xC0, input.u8()])] + be16(UInt16(truncatingIfNeeded: total)) + be16(input.u16())
        h += be16(fragment) + [ttl, proto, 0, 0] + be32(source) + be32(destination)
        h += (0..<optionWords * 4).map { _ in input.pick([1, 0, 7, input.u8()]) }
        if input.u8() & 0x0F != 0 {
            let c = Checksum.compute(h, count: 20 + optionWords * 4)
            h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xFF)
        }
        return h + payload
    }

    /// TCP, UDP or ICMP (an echo, or an error quoting a packet), or bytes; sometimes a large payload, for
    /// GSO super-frames.
    static func l4(_ proto: UInt8, source: UInt32, destination: UInt32, _ input: inout FuzzInput) -> [UInt8] {
        let size = input.pick([0, 0, 10, 64, 1400, 1500, 3000, 9000, 40_000, 65_000])
        let data = [UInt8](repeating: input.u8(), count: size)
        switch proto {
        case IPProtocol.tcp:
            let ports = be16(input.pick([1024, 33000, input.u16()])) + be16(input.pick([22, 23, 80, 5432, input.u16()]))
            let offsetWords = input.pick([5, 5, 6, 15, input.below(16)])
            var t = ports + be32(input.u32()) + be32(input.u32()) + [UInt8(offsetWords << 4), input.pick([0x02, 0x12, 0x10, 0x18, 0x04, 0x11, input.u8()])]
            t += be16(input.pick([65535, 0, input.u16()])) + [0, 0, 0, 0]
            t += (0..<max(0, offsetWords - 5) * 4).map { _ in input.pick([1, 3, 2, 4, 0, input.u8()]) }
            return t + data
        case IPProtocol.udp:
            let u = be16(input.pick([68, 67, 53, 4789, input.u16()])) + be16(input.pick([67, 68, 53, 4789, 9, input.u16()]))
            return u + be16(UInt16(truncatingIfNeeded: 8 + data.count)) + [0, 0] + data
        case IPProtocol.icmp:
            let type = input.pick([8, 0, 3, 11, 5, 4, 12, input.u8()])
            var i: [UInt8] = [type, input.pick([0, 4, input.u8()]), 0, 0] + be32(input.u32())
            if type == 3 || type == 11 {
                // An error quotes a packet: sometimes one the guarded port's conntrack knows.
                let quoted = [0x45, 0, 0, 40] + be32(0) + [64, IPProtocol.tcp, 0, 0] + be32(input.pick(FuzzWorld.ipv4s))
                    + be32(input.pick(FuzzWorld.ipv4s)) + be16(input.pick([22, 1024, input.u16()])) + be16(input.pick([22, 1024, input.u16()]))
                i += quoted + [0, 0, 0, 0]
            }
            let c = Checksum.compute(i + data, count: i.count + data.count)
            i[2] = UInt8(c >> 8); i[3] = UInt8(c & 0xFF)
            return i + data
        default:
            return data
        }
    }

    static func ipv6(_ input: inout FuzzInput) -> [UInt8] {
        let source = input.pick(FuzzWorld.ipv6s), destination = input.pick(FuzzWorld.ipv6s)
        var chain: [UInt8] = [], types: [UInt8] = []
        for _ in 0..<input.pick([0, 0, 0, 1, 2, 9, input.below(24)]) {
            types.append(input.pick([0, 60, 43, 44, 51, 135, input.u8()]))
        }
        let upper = input.pick([IPProtocol.icmpv6, IPProtocol.icmpv6, IPProtocol.udp, IPProtocol.tcp, 59, input.u8()])
        for (i, t) in types.enumerated() {
            let next = i + 1 < types.count ? types[i + 1] : upper
            if t == 44 {
                chain += [next, 0] + be16(input.pick([0, 1, 0x0008, input.u16()])) + be32(input.u32())
            } else {
                let units = input.pick([0, 0, 1, input.below(4)])
                let length = t == 51 ? (units + 2) * 4 : (units + 1) * 8
                chain += [next, UInt8(units)] + [UInt8](repeating: input.pick([0, 1, input.u8()]), count: max(0, length - 2))
            }
        }
        var l4: [UInt8]
        switch upper {
        case IPProtocol.icmpv6:
            let type = input.pick([135, 136, 134, 133, 137, 128, 129, input.u8()])
            l4 = [type, 0, 0, 0] + be32(input.pick([0x6000_0000, 0x2000_0000, input.u32()]))
            if type >= 135 && type <= 137 {
                let target = input.pick(FuzzWorld.ipv6s)
                l4 += be64(target.high) + be64(target.low)
            }
            for _ in 0..<input.pick([0, 1, 2, input.below(4)]) {
                let kind = input.pick([1, 2, 3, 5, input.u8()]), units = input.pick([1, 1, 0, 2, input.u8()])
                l4 += [kind, units] + input.pick(FuzzWorld.macs).bytes + [UInt8](repeating: 0, count: max(0, Int(units) * 8 - 8))
            }
        case IPProtocol.udp:
            l4 = be16(input.pick([547, 546, 5353, input.u16()])) + be16(input.pick([546, 547, input.u16()])) + be16(8) + [0, 0]
        case IPProtocol.tcp:
            l4 = be16(1024) + be16(22) + be32(1) + be32(0) + [0x50, 0x02] + be16(65535) + [0, 0, 0, 0]
        default:
            l4 = input.take(upTo: 64)
        }
        let payload = chain + l4
        let length = input.u8() & 0x0F == 0 ? input.u16() : UInt16(truncatingIfNeeded: payload.count)
        return [0x60, 0, 0, 0] + be16(length) + [types.first ?? upper, input.pick([255, 1, 64, input.u8()])]
            + be64(source.high) + be64(source.low) + be64(destination.high) + be64(destination.low) + payload
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(truncatingIfNeeded: v)) }
    static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(truncatingIfNeeded: v)) }
}

extension Checksum {
    /// The Internet checksum of the first `count` bytes of an array (the harness builds headers as arrays).
    static func compute(_ bytes: [UInt8], count: Int) -> UInt16 {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, count > 0 else { return 0xFFFF }
            return Checksum.compute(base, count: min(count, buffer.count))
        }
    }
}
