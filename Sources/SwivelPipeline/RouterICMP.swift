import SwivelCore
import SwivelPacket
import SwivelAddress

/// ICMP errors the routers send (time exceeded, unreachable, fragmentation needed), rate-limited per
/// router and never about an ICMP error, and the frames a router makes (Ethernet and ARP headers).
extension L3Stage {
    /// Sends an ICMP error about the packet at `ip` back to its source through the interface it came in
    /// on. Never about an ICMP error, a non-first fragment, or a broadcast, multicast or zero source.
    @inlinable
    mutating func icmpError(type: UInt8, code: UInt8, extra: UInt32 = 0, about m: UnsafeMutablePointer<FrameMeta>,
                            ip: UnsafeMutableRawPointer, interface itf: RouterInterface, pool: FramePool, now: UInt64) {
        let header = IPv4Header(unchecked: ip)
        let ihl = header.headerLength
        let total = header.totalLength
        let source = header.source
        if source == 0 || source >= 0xE000_0000 { return }
        if header.isLaterFragment { return }
        if header.proto == IPProtocol.icmp {
            guard total > ihl else { return }
            if ICMPHeader.isError(ICMPHeader(unchecked: ip + ihl).type) { return }
        }
        // Rate limit: the router's token bucket, refilled by elapsed time. Router ids past the last bucket
        // share it (thousands of routers on one host).
        let b = min(Int(itf.router), Self.icmpBuckets - 1)
        let elapsed = now &- icmpRefilledAt[b]
        if elapsed >= 10_000_000 {
            icmpTokens[b] = min(Self.icmpBurst, icmpTokens[b] &+ min(elapsed / 1_000_000, Self.icmpBurst * 1000) * Self.icmpPerSecond / 1000)
            icmpRefilledAt[b] = now
        }
        guard icmpTokens[b] > 0 else { stats.icmpRateLimited &+= 1; return }
        icmpTokens[b] -= 1
        // RFC 1812 4.3.2.3: quote as much of the original as fits in 576 bytes.
        let quote = min(total, 576 - 28)
        guard let (f, q) = newFrame(length: 14 + 28 + quote, etherType: EtherType.ipv4, pool: pool) else { return }
        writeEthernet(q, destination: m.pointee.source, source: itf.mac, type: EtherType.ipv4)
        let out = q + 14
        out.storeBytes(of: 0x45, as: UInt8.self)
        out.storeBytes(of: 0xC0, toByteOffset: 1, as: UInt8.self)   // internetwork control
        out.storeBytes(of: UInt16(28 + quote).bigEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
        out.storeBytes(of: IPProtocol.icmp, toByteOffset: 9, as: UInt8.self)
        out.storeBytes(of: itf.address.bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: source.bigEndian, toByteOffset: 16, as: UInt32.self)
        Checksum.fixIPv4Header(out, headerLength: 20)
        let icmp = out + 20
        icmp.storeBytes(of: type, as: UInt8.self)
        icmp.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: UInt16(0), toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: extra.bigEndian, toByteOffset: 4, as: UInt32.self)
        (icmp + 8).copyMemory(from: UnsafeRawPointer(ip), byteCount: quote)
        icmp.storeBytes(of: Checksum.compute(icmp, count: 8 + quote).bigEndian, toByteOffset: 2, as: UInt16.self)
        let gm = pool.meta + Int(f)
        gm.pointee.network = m.pointee.network
        gm.pointee.inPort = m.pointee.inPort
        gm.pointee.flags = FrameMeta.routed
        stats.icmpErrorsSent &+= 1
        emit(f, .output(m.pointee.inPort, remote: m.pointee.remote), pool: pool)
    }

    @inlinable @inline(__always)
    /// A frame the router makes, with the metadata parse would have given it: later checks (the ingress
    /// rules of a guarded port) read the EtherType and the L3 offset, and a made frame must not look like
    /// an unknown protocol to them.
    func newFrame(length: Int, etherType: UInt16, pool: FramePool) -> (FrameIndex, UnsafeMutableRawPointer)? {
        guard let f = pool.allocate(bytes: length, forReceive: false) else { return nil }
        pool.meta[Int(f)].length = UInt32(length)
        pool.meta[Int(f)].etherType = etherType
        pool.meta[Int(f)].l3Offset = UInt16(Ethernet.headerLength)
        return (f, pool.data(f))
    }

    @inlinable @inline(__always)
    mutating func emit(_ f: FrameIndex, _ d: Decision, pool: FramePool) {
        guard !generated.isFull else {
            stats.generatedDropped &+= 1
            pool.free(f)
            return
        }
        generatedDecisions[generated.count] = d
        generated.append(f)
    }

    @inlinable @inline(__always)
    func writeEthernet(_ p: UnsafeMutableRawPointer, destination: MACAddress, source: MACAddress, type: UInt16) {
        destination.store(to: p)
        source.store(to: p + 6)
        p.storeBytes(of: type.bigEndian, toByteOffset: 12, as: UInt16.self)
    }

    @inlinable @inline(__always)
    func writeARP(_ p: UnsafeMutableRawPointer, op: UInt16, senderMAC: MACAddress, senderIP: UInt32,
                  targetMAC: MACAddress, targetIP: UInt32) {
        p.storeBytes(of: UInt32(0x0001_0800).bigEndian, as: UInt32.self)
        p.storeBytes(of: UInt16(0x0604).bigEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: op.bigEndian, toByteOffset: 6, as: UInt16.self)
        senderMAC.store(to: p + 8)
        p.storeBytes(of: senderIP.bigEndian, toByteOffset: 14, as: UInt32.self)
        targetMAC.store(to: p + 18)
        p.storeBytes(of: targetIP.bigEndian, toByteOffset: 24, as: UInt32.self)
    }
}

extension L3Stage: ReportsCounters {
    public func reportCounters(into rows: inout [StageCounter]) {
        rows += [StageCounter(stage: "l3", name: "routed", value: stats.routed),
                 StageCounter(stage: "l3", name: "echo-replies", value: stats.echoReplies),
                 StageCounter(stage: "l3", name: "icmp-errors-sent", value: stats.icmpErrorsSent),
                 StageCounter(stage: "l3", name: "icmp-rate-limited", value: stats.icmpRateLimited),
                 StageCounter(stage: "l3", name: "made-frames-dropped", value: stats.generatedDropped)]
    }
}
