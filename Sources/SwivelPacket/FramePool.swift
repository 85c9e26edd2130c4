/// A frame is an index into the pool. Indices below `smallCount` address small frames
/// (one MTU-sized Ethernet frame plus headroom), the rest large ones (a 64 KiB GSO super-frame).
public typealias FrameIndex = UInt32

/// A fixed pool of fixed-size frames, allocated once. Every frame is in exactly one place at a time:
/// the pool's free stack, a port's in-flight set, a batch, or a transmit queue.
///
/// It is a class with only `let` stored properties (pointers), so hot-path access pays no
/// exclusivity checks; the mutable state lives behind those pointers. It is confined to the one
/// datapath thread that owns it.
/// Ownership: per-worker (one pool per datapath thread; frames never cross threads).
public final class FramePool {
    public let smallCount: Int
    public let largeCount: Int
    public let smallSize: Int
    public let largeSize: Int
    /// Bytes kept free before the Ethernet header so tags and tunnel headers can be pushed without a copy,
    /// and a virtio-net header can be written in front of the frame for transmit.
    public let headroom: Int
    /// Small frames that only a receive may take; flood copies and generated frames leave them alone,
    /// so a flood storm can never starve reception.
    public let receiveReserve: Int

    @usableFromInline let smallBase: UnsafeMutableRawPointer
    @usableFromInline let largeBase: UnsafeMutableRawPointer
    public let meta: UnsafeMutablePointer<FrameMeta>
    @usableFromInline let smallFree: UnsafeMutablePointer<FrameIndex>
    @usableFromInline let largeFree: UnsafeMutablePointer<FrameIndex>
    /// [0]: small free count, [1]: large free count.
    @usableFromInline let freeCounts: UnsafeMutablePointer<Int>
    /// One byte per frame, 1 while the frame is free: catches double frees and leaks in tests.
    @usableFromInline let isFreeFlags: UnsafeMutablePointer<UInt8>

    public init(smallCount: Int = 8192, smallSize: Int = 2048, largeCount: Int = 256,
                largeSize: Int = 65536 + 512, headroom: Int = 128, receiveReserve: Int? = nil) {
        precondition(smallCount > 0 && largeCount >= 0 && headroom >= OffloadInfo.wireSize + 8)
        self.smallCount = smallCount; self.largeCount = largeCount
        self.smallSize = smallSize; self.largeSize = largeSize; self.headroom = headroom
        self.receiveReserve = receiveReserve ?? smallCount / 8
        smallBase = .allocate(byteCount: smallCount * smallSize, alignment: 64)
        largeBase = .allocate(byteCount: max(1, largeCount * largeSize), alignment: 64)
        // Touch every page now: the pool's memory is claimed at start, so resident size does not creep up
        // under load (a flood cannot make swiveld grow) and the fast path never takes a first-touch fault.
        smallBase.initializeMemory(as: UInt8.self, repeating: 0, count: smallCount * smallSize)
        largeBase.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, largeCount * largeSize))
        let total = smallCount + largeCount
        meta = .allocate(capacity: total)
        meta.initialize(repeating: FrameMeta(), count: total)
        smallFree = .allocate(capacity: smallCount)
        largeFree = .allocate(capacity: max(1, largeCount))
        isFreeFlags = .allocate(capacity: total)
        isFreeFlags.initialize(repeating: 1, count: total)
        // LIFO, lowest index on top: recently freed frames are cache-warm.
        for i in 0..<smallCount { smallFree[i] = FrameIndex(smallCount - 1 - i) }
        for i in 0..<largeCount { largeFree[i] = FrameIndex(smallCount + largeCount - 1 - i) }
        freeCounts = .allocate(capacity: 2)
        freeCounts[0] = smallCount; freeCounts[1] = largeCount
    }

    deinit {
        smallBase.deallocate(); largeBase.deallocate(); meta.deallocate()
        smallFree.deallocate(); largeFree.deallocate(); freeCounts.deallocate(); isFreeFlags.deallocate()
    }

    public var totalCount: Int { smallCount + largeCount }
    public var freeSmall: Int { freeCounts[0] }
    public var freeLarge: Int { freeCounts[1] }
    public func isFree(_ frame: FrameIndex) -> Bool { isFreeFlags[Int(frame)] != 0 }

    /// Largest Ethernet frame (without virtio-net header) a small frame holds.
    @inlinable public var smallCapacity: Int { smallSize - headroom }
    @inlinable public var largeCapacity: Int { largeSize - headroom }

    /// Takes a frame able to hold `bytes` bytes after the headroom. Returns nil when the size class is
    /// exhausted (or, for non-receive callers, down to the receive reserve): callers count a named drop.
    @inlinable @inline(__always)
    public func allocate(bytes: Int, forReceive: Bool) -> FrameIndex? {
        if bytes <= smallSize - headroom {
            let n = freeCounts[0]
            if n == 0 || (!forReceive && n <= receiveReserve) { return nil }
            freeCounts[0] = n - 1
            let f = smallFree[n - 1]
            prepare(f)
            return f
        }
        guard bytes <= largeSize - headroom else { return nil }
        let n = freeCounts[1]
        if n == 0 { return nil }
        freeCounts[1] = n - 1
        let f = largeFree[n - 1]
        prepare(f)
        return f
    }

    @inlinable @inline(__always)
    func prepare(_ f: FrameIndex) {
        assert(isFreeFlags[Int(f)] == 1, "frame \(f) handed out twice")
        isFreeFlags[Int(f)] = 0
        meta[Int(f)] = FrameMeta()
        meta[Int(f)].dataOffset = UInt32(headroom)
    }

    /// Returns a frame to the pool. Freeing a frame twice is an ownership bug: it traps in debug builds
    /// and is ignored (and so cannot corrupt the stack) in release builds.
    @inlinable @inline(__always)
    public func free(_ f: FrameIndex) {
        let i = Int(f)
        guard isFreeFlags[i] == 0 else {
            assertionFailure("frame \(f) freed twice")
            return
        }
        isFreeFlags[i] = 1
        if i < smallCount {
            smallFree[freeCounts[0]] = f
            freeCounts[0] += 1
        } else {
            largeFree[freeCounts[1]] = f
            freeCounts[1] += 1
        }
    }

    @inlinable @inline(__always)
    public func isLarge(_ f: FrameIndex) -> Bool { Int(f) >= smallCount }

    /// Start of the frame's buffer (headroom included).
    @inlinable @inline(__always)
    public func buffer(_ f: FrameIndex) -> UnsafeMutableRawPointer {
        let i = Int(f)
        return i < smallCount ? smallBase + i * smallSize : largeBase + (i - smallCount) * largeSize
    }

    @inlinable @inline(__always)
    public func capacity(_ f: FrameIndex) -> Int { Int(f) < smallCount ? smallSize : largeSize }

    /// First byte of the Ethernet header.
    @inlinable @inline(__always)
    public func data(_ f: FrameIndex) -> UnsafeMutableRawPointer {
        buffer(f) + Int(meta[Int(f)].dataOffset)
    }

    /// Copies a frame (bytes and metadata) into a new frame, for flooding. Nil when the pool is short.
    @inlinable
    public func clone(_ f: FrameIndex) -> FrameIndex? {
        let m = meta[Int(f)]
        guard let c = allocate(bytes: Int(m.length), forReceive: false) else { return nil }
        meta[Int(c)] = m
        meta[Int(c)].dataOffset = UInt32(headroom)
        data(c).copyMemory(from: UnsafeRawPointer(data(f)), byteCount: Int(m.length))
        return c
    }

    /// Copies bytes into a fresh frame (tests, pcap replay, control-plane generated frames).
    public func make(bytes: UnsafeRawBufferPointer, inPort: UInt16, offload: OffloadInfo = OffloadInfo(),
                     forReceive: Bool = true) -> FrameIndex? {
        guard let f = allocate(bytes: bytes.count, forReceive: forReceive) else { return nil }
        if let base = bytes.baseAddress, bytes.count > 0 { data(f).copyMemory(from: base, byteCount: bytes.count) }
        meta[Int(f)].length = UInt32(bytes.count)
        meta[Int(f)].inPort = inPort
        meta[Int(f)].offload = offload
        return f
    }

    public func bytes(_ f: FrameIndex) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: data(f), count: Int(meta[Int(f)].length)))
    }
}
