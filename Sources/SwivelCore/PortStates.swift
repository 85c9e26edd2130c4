/// Live per-port facts the I/O layer maintains and the output stage reads (same thread).
/// Ownership: per-worker (the ports write it, the output stage reads it, on the same thread).
public final class PortStates {
    public let maxPorts: Int
    public let isUp: UnsafeMutablePointer<Bool>
    /// The port takes frames with partial checksums and GSO metadata (a virtio-net header) as they are.
    public let acceptsOffload: UnsafeMutablePointer<Bool>
    /// Largest IP packet the port carries (for the VXLAN port: the underlay's MTU minus `Vxlan.overhead`).
    public let mtu: UnsafeMutablePointer<Int>

    public init(maxPorts: Int) {
        self.maxPorts = maxPorts
        isUp = .allocate(capacity: maxPorts); isUp.initialize(repeating: false, count: maxPorts)
        acceptsOffload = .allocate(capacity: maxPorts); acceptsOffload.initialize(repeating: false, count: maxPorts)
        mtu = .allocate(capacity: maxPorts); mtu.initialize(repeating: 1500, count: maxPorts)
    }
    deinit { isUp.deallocate(); acceptsOffload.deallocate(); mtu.deallocate() }
}
