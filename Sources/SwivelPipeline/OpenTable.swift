/// A key that fits the fixed-size tables: plain bits, a good 64-bit hash.
public protocol TableKey: Equatable, BitwiseCopyable {
    var hash64: UInt64 { get }
}

@inlinable @inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    // splitmix64 finaliser: cheap and spreads MAC addresses (which share OUIs) over the slots.
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// An open-addressing hash table with linear probing and backward-shift deletion, allocated once
/// with room for `limit` entries at a load factor of at most 1/2. It never grows: inserting into a
/// full table fails and the caller counts it. Single writer; no allocation after init.
public struct OpenTable<Key: TableKey, Value> {
    public let limit: Int
    @usableFromInline let mask: Int
    @usableFromInline let keys: UnsafeMutablePointer<Key>
    @usableFromInline let values: UnsafeMutablePointer<Value>
    @usableFromInline let used: UnsafeMutablePointer<Bool>
    @usableFromInline var storedCount = 0
    public var count: Int { storedCount }

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
        var slots = 16
        while slots < limit * 2 { slots <<= 1 }
        mask = slots - 1
        keys = .allocate(capacity: slots)
        values = .allocate(capacity: slots)
        used = .allocate(capacity: slots)
        used.initialize(repeating: false, count: slots)
    }

    /// Tables live as long as their owner; call once when discarding it.
    public func deallocate() {
        keys.deallocate(); values.deallocate(); used.deallocate()
    }

    public var slotCount: Int { mask + 1 }

    @inlinable @inline(__always)
    public func find(_ key: Key) -> Int? {
        var i = Int(truncatingIfNeeded: key.hash64) & mask
        while used[i] {
            if keys[i] == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Inserts a key that is not present. Nil when the table is at its limit.
    @inlinable @inline(__always)
    public mutating func insert(_ key: Key, _ value: Value) -> Int? {
        guard count < limit else { return nil }
        var i = Int(truncatingIfNeeded: key.hash64) & mask
        while used[i] { i = (i + 1) & mask }
        used[i] = true
        keys[i] = key
        (values + i).initialize(to: value)
        storedCount += 1
        return i
    }

    @inlinable @inline(__always)
    public func value(at slot: Int) -> UnsafeMutablePointer<Value> { values + slot }
    @inlinable @inline(__always)
    public func key(at slot: Int) -> Key { keys[slot] }
    @inlinable @inline(__always)
    public func isUsed(_ slot: Int) -> Bool { used[slot] }

    /// Removes the entry in `slot`, shifting later members of its probe run back so lookups need no tombstones.
    /// The entry that moves into `slot` (if any) must be revisited by a caller that is iterating.
    @inlinable
    public mutating func remove(at slot: Int) {
        var hole = slot
        (values + hole).deinitialize(count: 1)
        used[hole] = false
        storedCount -= 1
        var i = (hole + 1) & mask
        while used[i] {
            let home = Int(truncatingIfNeeded: keys[i].hash64) & mask
            // Move i into the hole when its home is not cyclically within (hole, i].
            let distanceToHome = (i - home) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                keys[hole] = keys[i]
                (values + hole).moveInitialize(from: values + i, count: 1)
                used[hole] = true
                used[i] = false
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    /// Removes every entry for which `shouldRemove` is true. Control path (sweeps, flushes).
    public mutating func removeAll(where shouldRemove: (Key, Value) -> Bool) -> Int {
        var removed = 0
        var i = 0
        while i <= mask {
            if used[i] && shouldRemove(keys[i], values[i]) {
                remove(at: i)
                removed += 1
                continue   // a later entry may have shifted into slot i
            }
            i += 1
        }
        return removed
    }

    public func forEach(_ body: (Key, Value) -> Void) {
        for i in 0...mask where used[i] { body(keys[i], values[i]) }
    }

    /// Visits the entries in at most `slots` slots from `start` (bounded work per call); `body` returns
    /// false to stop. Returns the slot to continue from, or nil at the end. A removal may shift an entry
    /// back across the cursor, so a paged dump may miss or repeat an entry that changed meanwhile.
    public func forEach(from start: Int, slots: Int, _ body: (Int, Key, Value) -> Bool) -> Int? {
        var i = max(0, start)
        let end = min(mask + 1, i + slots)
        while i < end {
            if used[i] && !body(i, keys[i], values[i]) { return i + 1 <= mask ? i + 1 : nil }
            i += 1
        }
        return i <= mask ? i : nil
    }
}
