/// Storm control: a per-port token bucket for frames that would be flooded (broadcast, multicast,
/// unknown unicast). A port with a limit may flood `pps` frames per second, with bursts of up to one
/// second's worth; beyond that its flooded frames are dropped as `storm-control`. Known unicast is never
/// limited. State lives in arrays allocated once; the clock is the batch's.
/// Ownership: per-worker (the l2 stage's flood budget per port).
public struct StormControl {
    public static let maxPorts = 1024
    /// Frames per second allowed, per port (0: no limit).
    @usableFromInline let rate: UnsafeMutablePointer<UInt64>
    /// Tokens in thousandths of a frame, and when they were last topped up.
    @usableFromInline let tokens: UnsafeMutablePointer<UInt64>
    @usableFromInline let refilledAt: UnsafeMutablePointer<UInt64>

    public init() {
        rate = .allocate(capacity: Self.maxPorts); rate.initialize(repeating: 0, count: Self.maxPorts)
        tokens = .allocate(capacity: Self.maxPorts); tokens.initialize(repeating: 0, count: Self.maxPorts)
        refilledAt = .allocate(capacity: Self.maxPorts); refilledAt.initialize(repeating: 0, count: Self.maxPorts)
    }

    /// Sets (or with nil removes) a port's limit; its bucket starts full.
    public func configure(port: UInt16, pps: Int?) {
        let r = UInt64(max(0, pps ?? 0))
        rate[Int(port)] = r
        tokens[Int(port)] = r * 1000
        refilledAt[Int(port)] = 0
    }

    public func limit(port: UInt16) -> Int? { rate[Int(port)] == 0 ? nil : Int(rate[Int(port)]) }

    /// Whether a frame about to be flooded from `port` may go; takes a token when it may.
    @inlinable @inline(__always)
    public func admit(port: UInt16, now: UInt64) -> Bool {
        let p = Int(port)
        let r = rate[p]
        if r == 0 { return true }
        let elapsed = now &- refilledAt[p]
        if elapsed > 0 {
            // r frames per second = r thousandths per millisecond = r / 1e6 thousandths per nanosecond.
            let refill = elapsed >= 1_000_000_000 ? r * 1000 : elapsed * r / 1_000_000
            tokens[p] = min(r * 1000, tokens[p] + refill)
            refilledAt[p] = now
        }
        guard tokens[p] >= 1000 else { return false }
        tokens[p] -= 1000
        return true
    }
}
