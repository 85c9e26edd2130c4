import CSwivelLinux
import Glibc
import Synchronization

/// A request the control plane sends to the datapath thread: a value whose type names what is asked and
/// whose fields are the parameters (`ReadFDB`, `FlushConntrack(zone:)`, `InstallPlan(plan)`...). The
/// datapath runs it between batches with its state as argument and hands back the reply, or the refusal
/// it threw. Every kind is listed in `Docs/architecture.md` ("Control requests").
public protocol ControlRequest: Sendable {
    associatedtype Reply: Sendable
    /// Runs on the datapath thread, between batches. Must not block: it holds up forwarding.
    func run(on dp: Datapath) throws -> Reply
}

/// The one way the control plane talks to the datapath thread. Requests wait in a queue; the fast path
/// only reads an atomic counter per iteration and takes the mutex when it is non-zero. An eventfd read
/// kept in the ring wakes an idle datapath.
///
/// Invariant that makes `@unchecked Sendable` sound: `queue` is only touched under its mutex, and the
/// datapath object handed to requests never leaves the datapath thread.
public final class ControlMailbox: @unchecked Sendable {
    let queue = Mutex<[any Delivery]>([])
    let pending = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    public let eventFD: Int32

    public init() {
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }
    deinit { Glibc.close(eventFD) }

    /// Sends `request` to the datapath thread and returns its reply, or rethrows what it threw (a refused
    /// request is thrown from where it is found, on the datapath thread, and arrives here).
    public func send<R: ControlRequest>(_ request: R) async throws -> R.Reply {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<R.Reply, Error>) in
            guard !stopped.load(ordering: .acquiring) else { c.resume(throwing: DatapathStopped()); return }
            queue.withLock { $0.append(Envelope(request: request, reply: c)) }
            pending.add(1, ordering: .releasing)
            var one: UInt64 = 1
            _ = write(eventFD, &one, 8)
        }
    }

    /// Datapath side: cheap check, once per iteration.
    @inline(__always) var hasRequests: Bool { pending.load(ordering: .relaxed) != 0 }

    func takeAll() -> [any Delivery] {
        let requests = queue.withLock { q -> [any Delivery] in
            let r = q
            q.removeAll()
            return r
        }
        pending.subtract(requests.count, ordering: .relaxed)
        return requests
    }

    /// Refuses new requests; the caller runs what is left.
    func close() -> [any Delivery] {
        stopped.store(true, ordering: .releasing)
        return takeAll()
    }
}

/// A queued request with the continuation its reply goes to.
protocol Delivery: Sendable {
    func deliver(to dp: Datapath)
}

struct Envelope<R: ControlRequest>: Delivery {
    let request: R
    let reply: CheckedContinuation<R.Reply, Error>
    func deliver(to dp: Datapath) { reply.resume(with: Result { try request.run(on: dp) }) }
}

public struct DatapathStopped: Error, CustomStringConvertible {
    public var description: String { "the datapath has stopped" }
}
