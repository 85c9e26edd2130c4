/// How AF_PACKET ports receive. Transmit is sendmmsg for both: one system call per batch.
public enum IOEngine: String, CaseIterable, Sendable {
    /// TPACKET_V3 mmap receive ring (the kernel writes frames into shared memory; no copy syscall
    /// per batch), readiness through io_uring. Highest throughput; a block is handed over when full
    /// or when its retire timer fires, so idle latency is bounded by that timer.
    case ring
    /// recvmmsg into staging buffers, readiness through io_uring. Lowest latency at low rates.
    case mmsg

    public static let `default`: IOEngine = .mmsg
}
