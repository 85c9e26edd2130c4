// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets over the platform-free targets (no NIO, no Hummingbird, no sockets). Build and run
// with Fuzz/run.sh (the recipe in Docs/reliability.md): every target is built with
// `--sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address` so the libraries it drives carry the coverage
// instrumentation too. The decoders and oracles live in the root package's SwivelFuzzing target, where a
// test replays the corpora below on every test run.
let package = Package(
    name: "SwivelFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Swivel", path: "..")],
    targets: [
        .executableTarget(name: "FuzzPipeline", dependencies: [.product(name: "SwivelFuzzing", package: "Swivel")]),
        .executableTarget(name: "FuzzModel", dependencies: [.product(name: "SwivelFuzzing", package: "Swivel")]),
        .executableTarget(name: "FuzzPacketSpec", dependencies: [.product(name: "SwivelFuzzing", package: "Swivel")]),
        .executableTarget(name: "FuzzCNI", dependencies: [.product(name: "SwivelFuzzing", package: "Swivel")]),
    ]
)
