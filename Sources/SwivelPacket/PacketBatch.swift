/// A batch of frame indices with fixed capacity, allocated once and reused for every iteration.
/// The batch owns the frames it holds; handing a frame on means removing it from the batch.
public struct PacketBatch {
    public let capacity: Int
    public let frames: UnsafeMutablePointer<FrameIndex>
    public var count: Int = 0

    public init(capacity: Int) {
        self.capacity = capacity
        frames = .allocate(capacity: capacity)
    }

    /// Batches live as long as the datapath; call once at shutdown.
    public func deallocate() { frames.deallocate() }

    @inlinable public var isFull: Bool { count >= capacity }
    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var remaining: Int { capacity - count }

    @inlinable @inline(__always)
    public mutating func append(_ f: FrameIndex) {
        precondition(count < capacity, "batch overflow")
        frames[count] = f
        count += 1
    }

    @inlinable @inline(__always)
    public subscript(i: Int) -> FrameIndex { frames[i] }

    @inlinable public mutating func removeAll() { count = 0 }

    /// Frees every frame still held and empties the batch.
    @inlinable public mutating func freeAll(to pool: FramePool) {
        for i in 0..<count { pool.free(frames[i]) }
        count = 0
    }
}
