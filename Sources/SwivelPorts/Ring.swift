import CLiburing
import Glibc

/// What a completion belongs to, packed into the 64-bit user data of an io_uring SQE:
/// tag (8 bits) | port (16 bits) | slot (32 bits).
public struct Completion {
    public enum Tag: UInt8 { case readiness = 1, read = 2, write = 3, wake = 4 }
    @inlinable public static func encode(_ tag: Tag, port: UInt16, slot: UInt32) -> UInt64 {
        UInt64(tag.rawValue) << 56 | UInt64(port) << 32 | UInt64(slot)
    }
    public var tag: UInt8
    public var port: UInt16
    public var slot: UInt32
    public var result: Int32
    public var flags: UInt32
    @inlinable public init(userData: UInt64, result: Int32, flags: UInt32) {
        tag = UInt8(truncatingIfNeeded: userData >> 56)
        port = UInt16(truncatingIfNeeded: userData >> 32)
        slot = UInt32(truncatingIfNeeded: userData)
        self.result = result; self.flags = flags
    }
    /// Multishot requests stay armed while the kernel sets IORING_CQE_F_MORE.
    @inlinable public var willContinue: Bool { flags & IORING_CQE_F_MORE != 0 }
}

/// One io_uring per datapath thread: readiness of AF_PACKET sockets (multishot poll), TAP reads and
/// writes, and the control plane's wake-up eventfd all complete here, so one `io_uring_enter` per loop
/// iteration serves every port. Confined to its thread.
public final class Ring {
    public let ring: UnsafeMutablePointer<io_uring>
    @usableFromInline let cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    public let cqeBatch: Int

    public init(entries: UInt32 = 1024, cqeBatch: Int = 256) throws(PortError) {
        ring = .allocate(capacity: 1)
        var params = io_uring_params()
        params.flags = IORING_SETUP_CQSIZE
        params.cq_entries = entries * 4
        let rc = io_uring_queue_init_params(entries, ring, &params)
        guard rc == 0 else {
            ring.deallocate()
            throw PortError(port: "io_uring", reason: "io_uring_queue_init failed: \(errnoText(-rc))")
        }
        self.cqeBatch = cqeBatch
        cqes = .allocate(capacity: cqeBatch)
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
        cqes.deallocate()
    }

    /// A free submission entry, submitting what is queued when the queue is full.
    @inlinable public func sqe() -> UnsafeMutablePointer<io_uring_sqe> {
        if let s = io_uring_get_sqe(ring) { return s }
        _ = io_uring_submit(ring)
        while true {
            if let s = io_uring_get_sqe(ring) { return s }
            _ = io_uring_submit(ring)
        }
    }

    public func pollMultishot(fd: Int32, userData: UInt64) {
        let s = sqe()
        io_uring_prep_poll_multishot(s, fd, UInt32(POLLIN | POLLERR | POLLHUP))
        io_uring_sqe_set_data64(s, userData)
    }

    public func cancel(userData: UInt64) {
        let s = sqe()
        io_uring_prep_cancel64(s, userData, 0)
        io_uring_sqe_set_data64(s, 0)
    }

    /// Cancels every request on `fd` (reads and writes of a TAP that is being closed).
    public func cancelAll(fd: Int32) {
        let s = sqe()
        io_uring_prep_cancel_fd(s, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
        io_uring_sqe_set_data64(s, 0)
    }

    public func read(fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, userData: UInt64) {
        let s = sqe()
        io_uring_prep_read(s, fd, buffer, UInt32(count), UInt64.max)  // -1: the file's position (none for TAP)
        io_uring_sqe_set_data64(s, userData)
    }

    public func write(fd: Int32, from buffer: UnsafeRawPointer, count: Int, userData: UInt64) {
        let s = sqe()
        io_uring_prep_write(s, fd, buffer, UInt32(count), UInt64.max)
        io_uring_sqe_set_data64(s, userData)
    }

    /// Submits queued entries; blocks for at least one completion only when `waitNanos` > 0.
    public func submit(waitNanos: UInt64) {
        if waitNanos == 0 {
            _ = io_uring_submit(ring)
            return
        }
        var ts = __kernel_timespec(tv_sec: Int64(waitNanos / 1_000_000_000), tv_nsec: Int64(waitNanos % 1_000_000_000))
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        _ = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nil)
    }

    /// Hands every available completion to `body`, then marks them seen in one step.
    @inlinable public func drainCompletions(_ body: (Completion) -> Void) {
        while true {
            let n = Int(io_uring_peek_batch_cqe(ring, cqes, UInt32(cqeBatch)))
            if n == 0 { return }
            for i in 0..<n {
                let c = cqes[i]!.pointee
                body(Completion(userData: c.user_data, result: c.res, flags: c.flags))
            }
            io_uring_cq_advance(ring, UInt32(n))
            if n < cqeBatch { return }
        }
    }
}

public struct PortError: Error, CustomStringConvertible, Sendable {
    public var port: String
    public var reason: String
    public init(port: String, reason: String) { self.port = port; self.reason = reason }
    public var description: String { "port \(port): \(reason)" }
}

public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
