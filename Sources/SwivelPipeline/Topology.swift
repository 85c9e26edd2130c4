/// The datapath's view of which ports exist and which network each belongs to. Immutable: the control
/// plane builds a new one and the datapath adopts it between batches.
public final class Topology: Sendable {
    public static let noNetwork: UInt16 = 0xFFFF
    public let maxPorts: Int
    /// Network of each port id, or `noNetwork` for an unused id.
    public let networkOfPort: [UInt16]
    /// Ports of each network, in id order: the flood domain.
    public let portsOfNetwork: [[UInt16]]

    public init(maxPorts: Int, networkOfPort assignments: [Int: UInt16]) {
        self.maxPorts = maxPorts
        var n = [UInt16](repeating: Self.noNetwork, count: maxPorts)
        var networks = 0
        for (port, net) in assignments {
            precondition(port < maxPorts)
            n[port] = net
            networks = max(networks, Int(net) + 1)
        }
        var lists = [[UInt16]](repeating: [], count: networks)
        for port in 0..<maxPorts where n[port] != Self.noNetwork { lists[Int(n[port])].append(UInt16(port)) }
        networkOfPort = n
        portsOfNetwork = lists
    }
}

/// Live per-port facts the I/O layer maintains and the output stage reads (same thread).
public final class PortStates {
    public let maxPorts: Int
    public let isUp: UnsafeMutablePointer<Bool>
    /// The port takes frames with partial checksums and GSO metadata (a virtio-net header) as they are.
    public let acceptsOffload: UnsafeMutablePointer<Bool>

    public init(maxPorts: Int) {
        self.maxPorts = maxPorts
        isUp = .allocate(capacity: maxPorts); isUp.initialize(repeating: false, count: maxPorts)
        acceptsOffload = .allocate(capacity: maxPorts); acceptsOffload.initialize(repeating: false, count: maxPorts)
    }
    deinit { isUp.deallocate(); acceptsOffload.deallocate() }
}

/// Per-port transmit queues of bounded length: what the pipeline decided to send this iteration,
/// drained by the ports after the batch. The bound keeps one port from holding the whole pool.
public final class TxQueues {
    public let maxPorts: Int
    public let capacity: Int
    public let frames: UnsafeMutablePointer<UInt32>
    public let counts: UnsafeMutablePointer<Int>

    public init(maxPorts: Int, capacity: Int = 512) {
        self.maxPorts = maxPorts; self.capacity = capacity
        frames = .allocate(capacity: maxPorts * capacity)
        counts = .allocate(capacity: maxPorts); counts.initialize(repeating: 0, count: maxPorts)
    }
    deinit { frames.deallocate(); counts.deallocate() }

    @inlinable @inline(__always)
    public func enqueue(_ port: Int, _ frame: UInt32) -> Bool {
        let n = counts[port]
        guard n < capacity else { return false }
        frames[port * capacity + n] = frame
        counts[port] = n + 1
        return true
    }

    @inlinable @inline(__always)
    public func queue(_ port: Int) -> UnsafeMutablePointer<UInt32> { frames + port * capacity }
}
