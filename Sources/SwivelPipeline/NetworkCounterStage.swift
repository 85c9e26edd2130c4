import SwivelPacket
import SwivelCore

/// network-count: packets and bytes that enter forwarding, per network. Counts each frame that passed
/// the checks before it (parse, vlan, port security, the sender's security groups) in the network the
/// vlan stage gave it, so an operator sees which tenant's traffic the switch carries (`swivelctl stats`).
/// Decides: nothing. Reads meta: network, length. Tables: two counters per network (owned).
/// Ownership: per-worker, single writer (this stage; read between batches).
public struct NetworkCounterStage: ReportsCounters {
    /// Indexed by network id: a UInt16, so every id has a slot (1 MiB for both, allocated once).
    @usableFromInline let packets: UnsafeMutablePointer<UInt64>
    @usableFromInline let bytes: UnsafeMutablePointer<UInt64>
    static let slots = 1 << 16

    public init() {
        packets = .allocate(capacity: Self.slots)
        packets.initialize(repeating: 0, count: Self.slots)
        bytes = .allocate(capacity: Self.slots)
        bytes.initialize(repeating: 0, count: Self.slots)
    }

    public func deallocate() { packets.deallocate(); bytes.deallocate() }

    @inlinable
    public func process(_ batch: borrowing PacketBatch, pool: FramePool, decisions: UnsafeMutablePointer<Decision>) {
        for i in 0..<batch.count where decisions[i].action != .drop {
            let m = pool.meta + Int(truncatingIfNeeded: batch[i])
            let n = Int(truncatingIfNeeded: m.pointee.network)
            packets[n] &+= 1
            bytes[n] &+= UInt64(truncatingIfNeeded: m.pointee.length)
        }
    }

    /// Networks that carried traffic: packets and bytes of each.
    public func reportCounters(into rows: inout [StageCounter]) {
        for n in 0..<Self.slots where packets[n] != 0 {
            let network = UInt16(truncatingIfNeeded: n)
            rows.append(StageCounter(stage: "network-count", name: "packets", key: .network(network), value: packets[n]))
            rows.append(StageCounter(stage: "network-count", name: "bytes", key: .network(network), value: bytes[n]))
        }
    }
}
