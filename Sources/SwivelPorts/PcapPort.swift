import CPcap
import Glibc
import SwivelPacket
import SwivelCore

/// A port backed by pcap files (libpcap): replays `input` as received frames and writes transmitted
/// frames to `output`. Used for golden-file tests and offline runs. A pcap file cannot carry offload
/// metadata, so frames leave with complete checksums and segmented.
public final class PcapPort: Port {
    public let id: UInt16
    public let name: String
    public var kind: String { "pcap" }
    public var device: String { inputPath ?? outputPath ?? "-" }
    public var state: String { isUp ? "up" : "down" }
    public var isUp: Bool { true }
    public var acceptsOffload: Bool { false }
    public var mtu = 65535
    public var hasReceivable: Bool { reader != nil }
    public let inputPath: String?
    public let outputPath: String?
    var reader: OpaquePointer?
    var writerHandle: OpaquePointer?
    var dumper: OpaquePointer?

    public init(id: UInt16, name: String, input: String?, output: String?) throws(PortError) {
        self.id = id; self.name = name; inputPath = input; outputPath = output
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        if let input {
            guard let r = pcap_open_offline(input, &errbuf) else {
                throw PortError(port: name, reason: "cannot read \(input): \(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
            guard pcap_datalink(r) == DLT_EN10MB else {
                pcap_close(r)
                throw PortError(port: name, reason: "\(input) is not an Ethernet capture")
            }
            reader = r
        }
        if let output {
            writerHandle = pcap_open_dead(DLT_EN10MB, 262144)
            guard let d = pcap_dump_open(writerHandle, output) else {
                let reason = String(cString: pcap_geterr(writerHandle))
                pcap_close(writerHandle)
                writerHandle = nil
                if let r = reader { pcap_close(r); reader = nil }
                throw PortError(port: name, reason: "cannot write \(output): \(reason)")
            }
            dumper = d
        }
    }

    deinit { closeFiles() }

    func closeFiles() {
        if let r = reader { pcap_close(r); reader = nil }
        if let d = dumper { pcap_dump_close(d); dumper = nil }
        if let w = writerHandle { pcap_close(w); writerHandle = nil }
    }

    public func start(ring: Ring) {}

    public func receive(into batch: inout PacketBatch, pool: FramePool, counters: PortCounters, ring: Ring?) {
        guard let r = reader else { return }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        while !batch.isFull {
            let rc = pcap_next_ex(r, &header, &data)
            if rc != 1 { pcap_close(r); reader = nil; return }   // end of file or a read error
            guard let h = header?.pointee, let d = data else { continue }
            if let f = admitFrame(UnsafeRawPointer(d), count: Int(h.caplen), vnet: false, truncated: h.caplen < h.len,
                                  port: id, mtu: mtu, pool: pool, counters: counters) {
                batch.append(f)
            }
        }
    }

    public func transmit(_ frames: UnsafeMutablePointer<FrameIndex>, count: Int, pool: FramePool, counters: PortCounters,
                         ring: Ring?) {
        var bytes = 0
        for i in 0..<count {
            let f = frames[i]
            let length = Int(pool.meta[Int(f)].length)
            if let d = dumper {
                var ts = timeval()
                gettimeofday(&ts, nil)
                var h = pcap_pkthdr(ts: ts, caplen: UInt32(length), len: UInt32(length))
                UnsafeMutableRawPointer(d).withMemoryRebound(to: UInt8.self, capacity: 1) { user in
                    pcap_dump(user, &h, pool.data(f).assumingMemoryBound(to: UInt8.self))
                }
            }
            bytes += length
            pool.free(f)
        }
        if let d = dumper { pcap_dump_flush(d) }
        counters.countTx(Int(id), packets: count, bytes: bytes)
    }

    public func complete(_ c: Completion, ring: Ring, pool: FramePool, counters: PortCounters) {}
    public func maintain(ring: Ring) {}
    public func stop(ring: Ring?, pool: FramePool) { closeFiles() }
}
