import CSwivelLinux
import Glibc
import Synchronization

/// The one way the control plane talks to the datapath thread. Requests are closures run on the
/// datapath thread between batches, with the datapath's state as argument; the control side awaits the
/// answer. The fast path only reads an atomic counter per iteration; the mutex is taken only when it is
/// non-zero. An eventfd read kept in the ring wakes an idle datapath.
///
/// Invariant that makes `@unchecked Sendable` sound: `queue` is only touched under its mutex, and the
/// datapath object handed to requests never leaves the datapath thread.
public final class ControlMailbox: @unchecked Sendable {
    public typealias Request = @Sendable (Datapath) -> Void
    let queue = Mutex<[Request]>([])
    let pending = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    public let eventFD: Int32

    public init() {
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }
    deinit { Glibc.close(eventFD) }

    /// Runs `body` on the datapath thread and returns its result, or rethrows what it threw (a refused
    /// request is thrown from where it is found, on the datapath thread, and arrives here).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Datapath) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            guard !stopped.load(ordering: .acquiring) else { c.resume(throwing: DatapathStopped()); return }
            queue.withLock { $0.append { dp in c.resume(with: Result { try body(dp) }) } }
            pending.add(1, ordering: .releasing)
            var one: UInt64 = 1
            _ = write(eventFD, &one, 8)
        }
    }

    /// Datapath side: cheap check, once per iteration.
    @inline(__always) var hasRequests: Bool { pending.load(ordering: .relaxed) != 0 }

    func takeAll() -> [Request] {
        let requests = queue.withLock { q -> [Request] in
            let r = q
            q.removeAll()
            return r
        }
        pending.subtract(requests.count, ordering: .relaxed)
        return requests
    }

    /// Refuses new requests; the caller runs what is left.
    func close() -> [Request] {
        stopped.store(true, ordering: .releasing)
        return takeAll()
    }
}

public struct DatapathStopped: Error, CustomStringConvertible {
    public var description: String { "the datapath has stopped" }
}
