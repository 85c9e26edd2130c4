/// Per-port transmit queues of bounded length: what the pipeline decided to send this iteration,
/// drained by the ports after the batch. The bound keeps one port from holding the whole pool.
/// Ownership: per-worker (filled by the pipeline, drained by the ports, on the same thread).
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
