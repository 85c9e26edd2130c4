/// How AF_PACKET ports receive. Transmit is sendmmsg for all of them: one system call per batch.
/// Readiness of every engine comes through the datapath's io_uring. Docs/benchmarks.md has the numbers.
public enum IOEngine: String, CaseIterable, Sendable {
    /// TPACKET_V2 mmap receive ring: the kernel writes each frame into shared memory and hands it over
    /// at once (no receive system call per batch, no block timer). GSO super-frames larger than a slot
    /// are read whole from the socket queue (PACKET_COPY_THRESH).
    case ring
    /// TPACKET_V3 mmap receive ring: frames packed into blocks that the kernel hands over when full or
    /// when the retire timer (`--ring-block-timeout`, ms) fires, so idle latency is about that timer.
    case ringV3 = "ring-v3"
    /// recvmmsg into staging buffers.
    case mmsg

    public static let `default`: IOEngine = .ring
}
