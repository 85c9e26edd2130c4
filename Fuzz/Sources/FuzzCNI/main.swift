import SwivelFuzzing

// The CNI plugin's input: the network configuration on stdin and the CNI_* environment.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try CNIFuzzer.run(bytes) } catch { fatalError("\(error)") }
    return 0
}
