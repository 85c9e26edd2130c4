import SwivelFuzzing

// Frames through the whole pipeline (FuzzWorld), checked after every input (PipelineFuzzer).
nonisolated(unsafe) let fuzzer = PipelineFuzzer()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try fuzzer.run(bytes) } catch { fatalError("\(error)") }
    return 0
}
