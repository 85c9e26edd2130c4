import SwivelCore
import SwivelPacket

/// The TCP state machine of tracked connections: SYN, SYN-ACK, established, closing; the windows each
/// side announced; which resets are acceptable (in the receiver's window, or acknowledging the SYN).
/// A packet that fits no state is `ct-invalid` (the caller drops it: `decideConnection` in ACLStage.swift).
extension ConnTracker {
    /// Moves a TCP connection through its states; false when the packet fits none (ct-invalid).
    @inlinable
    mutating func trackTCP(_ e: Int, reply: Bool, _ f: L4Fields, now: UInt64) -> Bool {
        let c = table.entries + e
        let syn = f.tcpFlags & L4Fields.tcpSYN != 0, ack = f.tcpFlags & L4Fields.tcpACK != 0
        let fin = f.tcpFlags & L4Fields.tcpFIN != 0, rst = f.tcpFlags & L4Fields.tcpRST != 0
        let state = c.pointee.state
        if rst {
            guard rstAcceptable(c, reply: reply, f) else { return false }
            table.setState(e, .closed)
            return true
        }
        switch state {
        case .synSent:
            if reply {
                guard syn else { return false }
                if ack { guard acknowledgesSYN(c, f) else { return false } }
                c.pointee.windowScale.1 = f.windowScale
                table.setState(e, .synReceived)
            } else {
                guard syn && !ack else { return false }   // a retransmitted SYN
            }
        case .synReceived:
            if !reply && ack && !syn { table.setState(e, .established) }
        case .established, .finWait:
            break
        case .timeWait, .closed:
            if !reply && syn && !ack {
                // The port pair is used again: a new connection in the same entry.
                c.pointee.finSeen = 0
                c.pointee.nextSeq = (f.seq, 0); c.pointee.window = (0, 0); c.pointee.windowScale = (f.windowScale, 0xFF)
                c.pointee.initialSeq = f.seq
                c.pointee.packets.1 = 0
                table.setState(e, .synSent)
            } else if state == .closed {
                return false
            }
        default:
            return false
        }
        if fin {
            c.pointee.finSeen |= reply ? 2 : 1
            table.setState(e, c.pointee.finSeen == 3 ? .timeWait : .finWait)
        }
        // Sequence and window tracking, for the RST check.
        let end = f.seq &+ f.payload &+ (syn ? 1 : 0) &+ (fin ? 1 : 0)
        let scalesKnown = c.pointee.windowScale.0 != 0xFF && c.pointee.windowScale.1 != 0xFF
        if reply {
            if c.pointee.packets.1 == 0 || Int32(bitPattern: end &- c.pointee.nextSeq.1) > 0 { c.pointee.nextSeq.1 = end }
            let w = UInt32(f.window) << (scalesKnown && !syn ? UInt32(c.pointee.windowScale.1) : 0)
            if w > c.pointee.window.1 { c.pointee.window.1 = w }
        } else {
            if Int32(bitPattern: end &- c.pointee.nextSeq.0) > 0 { c.pointee.nextSeq.0 = end }
            let w = UInt32(f.window) << (scalesKnown && !syn ? UInt32(c.pointee.windowScale.0) : 0)
            if w > c.pointee.window.0 { c.pointee.window.0 = w }
        }
        return true
    }

    /// The answer to a SYN acknowledges it: somewhere from the SYN + 1 to the end of any data it carried.
    @inlinable @inline(__always)
    func acknowledgesSYN(_ c: UnsafeMutablePointer<Connection>, _ f: L4Fields) -> Bool {
        let past = f.ack &- (c.pointee.initialSeq &+ 1)
        return past <= c.pointee.nextSeq.0 &- (c.pointee.initialSeq &+ 1)
    }

    /// A RST must be in the receiver's window of the sender's sequence space (blind resets are not).
    @inlinable
    func rstAcceptable(_ c: UnsafeMutablePointer<Connection>, reply: Bool, _ f: L4Fields) -> Bool {
        if c.pointee.state == .synSent {
            // Refused: the reset acknowledges the SYN.
            guard reply, f.tcpFlags & L4Fields.tcpACK != 0 else { return !reply }
            return acknowledgesSYN(c, f)
        }
        let seenFromSender = reply ? c.pointee.packets.1 > 0 : c.pointee.packets.0 > 0
        guard seenFromSender else { return true }
        let expected = reply ? c.pointee.nextSeq.1 : c.pointee.nextSeq.0
        let receiverWindow = max(reply ? c.pointee.window.0 : c.pointee.window.1, 65_535)
        return Int64(Int32(bitPattern: f.seq &- expected)).magnitude <= UInt64(receiverWindow)
    }
}
