import SwivelPacket
import SwivelCore

/// A port backed by memory, for tests and benchmarks (VPP's `pg`, OVS's dummy netdev).
/// Frames injected as bytes are received; transmitted frames are kept as bytes (when `capture` is on)
/// or just counted, so a benchmark can run without allocating.
public final class MemoryPort: Port {
    public let id: UInt16
    public let name: String
    public var kind: String { "memory" }
    public var device: String { "memory" }
    public var state: String { isUp ? "up" : "down" }
    public var isUp = true
    public var acceptsOffload: Bool
    public var mtu = 1500
    public var hasReceivable: Bool { inputCount > 0 }
    public var capture: Bool
    public private(set) var transmitted: [[UInt8]] = []
    public private(set) var transmittedOffload: [OffloadInfo] = []
    public private(set) var transmittedCount = 0

    /// Pre-built frames waiting to be received (indices into the pool), in order.
    @usableFromInline let input: UnsafeMutablePointer<FrameIndex>
    @usableFromInline let inputCapacity: Int
    @usableFromInline var inputHead = 0
    @usableFromInline var inputCount = 0

    public init(id: UInt16, name: String, acceptsOffload: Bool = false, capture: Bool = true, inputCapacity: Int = 4096) {
        self.id = id; self.name = name; self.acceptsOffload = acceptsOffload; self.capture = capture
        self.inputCapacity = inputCapacity
        input = .allocate(capacity: inputCapacity)
    }
    deinit { input.deallocate() }

    /// Queues a frame for reception. False when the queue or pool is full.
    @discardableResult
    public func inject(_ bytes: [UInt8], pool: FramePool, offload: OffloadInfo = OffloadInfo()) -> Bool {
        guard inputCount < inputCapacity,
              let f = bytes.withUnsafeBytes({ pool.make(bytes: $0, inPort: id, offload: offload) }) else { return false }
        return inject(frame: f)
    }

    /// Queues an already-built frame (benchmarks build them once and recycle).
    @inlinable @discardableResult
    public func inject(frame f: FrameIndex) -> Bool {
        guard inputCount < inputCapacity else { return false }
        input[(inputHead + inputCount) % inputCapacity] = f
        inputCount += 1
        return true
    }

    public func start(ring: Ring) {}

    public func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?) {
        while inputCount > 0 && !batch.isFull {
            let f = input[inputHead]
            inputHead = (inputHead + 1) % inputCapacity
            inputCount -= 1
            pool.meta[Int(f)].inPort = id
            counters.countRx(Int(id), bytes: Int(pool.meta[Int(f)].length))
            batch.append(f)
        }
    }

    public func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool, counters: PortCounters,
                         ring: Ring?) {
        var bytes = 0
        for i in 0..<count {
            let f = frames[i]
            bytes += Int(pool.meta[Int(f)].length)
            if capture {
                transmitted.append(pool.bytes(f))
                transmittedOffload.append(pool.meta[Int(f)].offload)
            }
            pool.free(f)
        }
        transmittedCount += count
        counters.countTx(Int(id), packets: count, bytes: bytes)
    }

    public func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters) {}
    public func maintain(ring: Ring) {}
    public func stop(ring: Ring?, pool: FramePool) {
        while inputCount > 0 {
            pool.free(input[inputHead])
            inputHead = (inputHead + 1) % inputCapacity
            inputCount -= 1
        }
    }

    public func clearTransmitted() { transmitted.removeAll(); transmittedOffload.removeAll() }
}
