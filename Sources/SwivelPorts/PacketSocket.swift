import CSwivelLinux
import Glibc

/// An AF_PACKET socket bound to one interface, configured the way a switch port needs it.
struct PacketSocket {
    let fd: Int32
    let ifindex: Int32

    /// Opens and binds the socket. `configure` runs after the options and before bind (ring setup).
    static func open(device: InterfaceName, vnetHeader: Bool,
                     configure: (Int32) throws(PortError) -> Void = { _ throws(PortError) in }) throws(PortError) -> PacketSocket {
        guard let ifindex = LinkInfo.index(of: device) else {
            throw PortError(port: device.name, reason: "no such interface")
        }
        // Protocol 0 until bind: an ETH_P_ALL socket would see every interface's frames in between.
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PortError(port: device.name, reason: "socket(AF_PACKET): \(errnoText(errno))") }
        func fail(_ what: String) -> PortError {
            let e = errno
            Glibc.close(fd)
            return PortError(port: device.name, reason: "\(what): \(errnoText(e))")
        }
        var one: Int32 = 1
        if vnetHeader, setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, 4) != 0 { throw fail("PACKET_VNET_HDR") }
        // Our own transmissions must not come back to us as receptions.
        if setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, 4) != 0 { throw fail("PACKET_IGNORE_OUTGOING") }
        if setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, 4) != 0 { throw fail("PACKET_QDISC_BYPASS") }
        var rcvbuf: Int32 = 4 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, 4)
        var sndbuf: Int32 = 4 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, 4)
        do { try configure(fd) } catch { Glibc.close(fd); throw error }
        var addr = sockaddr_ll()
        addr.sll_family = UInt16(AF_PACKET)
        addr.sll_protocol = UInt16(ETH_P_ALL).bigEndian
        addr.sll_ifindex = ifindex
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        if rc != 0 { throw fail("bind") }
        var mreq = packet_mreq()
        mreq.mr_ifindex = ifindex
        mreq.mr_type = UInt16(PACKET_MR_PROMISC)
        if setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, socklen_t(MemoryLayout<packet_mreq>.size)) != 0 {
            throw fail("PACKET_ADD_MEMBERSHIP (promiscuous)")
        }
        return PacketSocket(fd: fd, ifindex: ifindex)
    }

    /// Reads and clears a pending socket error (ENETDOWN when the link went down).
    func takeError() -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(4)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err
    }

    /// Drops since the last call (the kernel resets its counters when they are read).
    func kernelDrops() -> UInt64 {
        var st = tpacket_stats()
        var len = socklen_t(MemoryLayout<tpacket_stats>.size)
        guard getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 else { return 0 }
        return UInt64(st.tp_drops)
    }

    func close() { _ = Glibc.close(fd) }
}
