#if canImport(Glibc)
import Glibc
#endif

/// Time for the datapath, read once per batch. Injected so tests can age tables without waiting.
public protocol DatapathClock: AnyObject {
    /// Monotonic nanoseconds.
    var nowNanos: UInt64 { get }
}

public final class MonotonicClock: DatapathClock {
    public init() {}
    public var nowNanos: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// A clock that moves only when told to.
public final class ManualClock: DatapathClock {
    public var nowNanos: UInt64
    public init(startingAt: UInt64 = 1_000_000_000) { nowNanos = startingAt }
    public func advance(seconds: Double) { nowNanos += UInt64(seconds * 1e9) }
}
