// swift-tools-version: 6.1
import PackageDescription

// A separate package so `swift build` at the root never resolves package-benchmark or its interposers.
let package = Package(
    name: "SwivelBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Swivel", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwivelAddress", package: "Swivel"),
                .product(name: "SwivelPacket", package: "Swivel"),
                .product(name: "SwivelCore", package: "Swivel"),
                .product(name: "SwivelPipeline", package: "Swivel"),
                .product(name: "SwivelPorts", package: "Swivel"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
