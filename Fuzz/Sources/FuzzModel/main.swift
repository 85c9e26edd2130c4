import SwivelFuzzing

// YAML and JSON documents through the reader, the validator, the state file's round trip and recovery.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try ModelFuzzer.run(bytes) } catch { fatalError("\(error)") }
    return 0
}
