import SwivelPacket
import SwivelCore

/// acl: the egress rules of guarded ports. Checks each frame a guarded port sent against its security
/// groups (`SecurityGroups`, with connection tracking), before l2; a switch without guarded ports skips
/// the loop on one flag. The ingress rules of the receiving port are checked by the output stage on each
/// copy it delivers, through the same service.
/// Decides: drop (acl-deny, acl-default-deny, ct-invalid, ct-table-full, ct-revoked, acl-fragment-untracked,
/// acl-malformed, acl-ipv6-unsupported). Reads meta: inPort. Tables: none of its own (the security-group
/// and connection-tracking services, lent by the pipeline).
public enum ACLStage {
    /// Checks the batch's frames from guarded ports against their egress rules.
    @inlinable
    public static func process(_ batch: borrowing PacketBatch, pool: FramePool, decisions: UnsafeMutablePointer<Decision>,
                               security: inout SecurityGroups, conntrack: inout ConnTracker, now: UInt64, dryRun: Bool = false) {
        guard security.anyGuarded else { return }
        for i in 0..<batch.count where decisions[i].action != .drop {
            let port = Int(pool.meta[Int(batch[i])].inPort)
            guard security.table.isGuarded(port) else { continue }
            if let reason = security.check(batch[i], port: port, ingress: false, pool: pool, conntrack: &conntrack, now: now, dryRun: dryRun) {
                decisions[i] = .drop(reason)
            }
        }
    }
}
