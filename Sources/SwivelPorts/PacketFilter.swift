import CPcap
import Glibc

/// A tcpdump filter expression compiled by libpcap, matched against Ethernet frames in memory.
/// Used by live traces and captures, on the datapath thread, only for the port being watched.
public final class PacketFilter: @unchecked Sendable {
    // Invariant for @unchecked Sendable: built on the control side, then used by one thread at a time
    // (handed to the datapath through the mailbox); the program is never mutated after compilation.
    let program: UnsafeMutablePointer<bpf_program>
    public let expression: String

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(_ expression: String) throws(Invalid) {
        self.expression = expression
        // Zeroed so that deinit, which also runs when this init throws, can always free it.
        program = .allocate(capacity: 1)
        program.initialize(to: bpf_program())
        guard let dead = pcap_open_dead(DLT_EN10MB, 65535) else {
            throw Invalid(description: "libpcap could not open a filter context")
        }
        defer { pcap_close(dead) }
        if pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw Invalid(description: "filter '\(expression)': \(String(cString: pcap_geterr(dead)))")
        }
    }

    deinit {
        pcap_freecode(program)
        program.deallocate()
    }

    public func matches(_ frame: UnsafeRawPointer, length: Int) -> Bool {
        var header = pcap_pkthdr(ts: timeval(), caplen: UInt32(length), len: UInt32(length))
        return pcap_offline_filter(program, &header, frame.assumingMemoryBound(to: UInt8.self)) != 0
    }
}
