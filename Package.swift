// swift-tools-version: 6.1
import PackageDescription

// The layout mirrors the architecture (see Docs/architecture.md):
// C interop in one small shim, a platform-free packet library and pipeline,
// ports and I/O engines as a leaf, the control plane, and thin executables.
let package = Package(
    name: "Swivel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiveld", targets: ["swiveld"]),
        .executable(name: "swivelctl", targets: ["swivelctl"]),
        .executable(name: "swivel-cni", targets: ["swivel-cni"]),
        .library(name: "SwivelAddress", targets: ["SwivelAddress"]),
        .library(name: "SwivelPacket", targets: ["SwivelPacket"]),
        .library(name: "SwivelCore", targets: ["SwivelCore"]),
        .library(name: "SwivelPipeline", targets: ["SwivelPipeline"]),
        .library(name: "SwivelPorts", targets: ["SwivelPorts"]),
        .library(name: "SwivelControl", targets: ["SwivelControl"]),
        .library(name: "SwivelYAML", targets: ["SwivelYAML"]),
        .library(name: "SwivelCompiler", targets: ["SwivelCompiler"]),
        .library(name: "SwivelRuntime", targets: ["SwivelRuntime"]),
        // The fuzz targets' decoders and oracles (Fuzz/ builds them with libFuzzer; a test replays the corpora).
        .library(name: "SwivelFuzzing", targets: ["SwivelFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // C interop: liburing (header-only inlines), libpcap, and the Linux bits Swift cannot import.
        .systemLibrary(name: "CLiburing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .target(name: "CSwivelLinux"),

        // Addresses and prefixes (MAC, IPv4, IPv6) as text and as numbers. Platform-free, no libc: the
        // control plane, the CLI and the CNI plugin use it without linking the datapath.
        .target(name: "SwivelAddress"),
        // Packet library: frame pool, header views, checksums, virtio-net offloads, builders. No syscalls.
        .target(name: "SwivelPacket", dependencies: ["SwivelAddress"]),
        // What ports and stages share: per-port counters and drop reasons, port states, transmit queues,
        // trace records and the datapath clock. Below both, so the I/O leaf never links a stage.
        .target(name: "SwivelCore", dependencies: ["SwivelAddress", "SwivelPacket"]),
        // Pipeline stages, tables and the wiring of one datapath iteration. No syscalls.
        .target(name: "SwivelPipeline", dependencies: ["SwivelAddress", "SwivelPacket", "SwivelCore"]),
        // Ports and I/O engines: AF_PACKET (ring, mmsg), TAP over io_uring, memory, pcap.
        .target(name: "SwivelPorts", dependencies: [
            "SwivelAddress", "SwivelPacket", "SwivelCore", "CSwivelLinux", "CLiburing", "CPcap",
        ]),
        // Compiling a validated model into the pipeline's tables (ids, memberships, routing, security groups,
        // overlay) and installing it between batches. Platform-free: the model fuzzer drives it in memory.
        .target(name: "SwivelCompiler", dependencies: ["SwivelAddress", "SwivelPacket", "SwivelPipeline", "SwivelControl"]),
        // The network model, its validation and the API document types (Codable). No YAML: JSON documents
        // and the model reach it already decoded.
        .target(name: "SwivelControl", dependencies: ["SwivelAddress"]),
        // The model's YAML file form: reading with file:line for every error, writing, recovering a damaged
        // state file. Only what reads or writes YAML links Yams (the CNI plugin does not).
        .target(name: "SwivelYAML", dependencies: ["SwivelControl", .product(name: "Yams", package: "Yams")]),
        // Fuzzing: a structure-aware frame decoder, the pipeline's invariants, the model's round trips.
        // Platform-free, like what it drives.
        .target(name: "SwivelFuzzing", dependencies: ["SwivelAddress", "SwivelPacket", "SwivelCore", "SwivelPipeline", "SwivelControl", "SwivelYAML", "SwivelCompiler"]),
        // Runs the datapath thread and answers control requests between batches.
        .target(name: "SwivelRuntime", dependencies: [
            "SwivelAddress", "SwivelPacket", "SwivelCore", "SwivelPipeline", "SwivelPorts", "SwivelControl", "SwivelYAML", "SwivelCompiler", "CSwivelLinux",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP/JSON API over the Unix socket.
        .target(name: "SwivelAPI", dependencies: [
            "SwivelRuntime", "SwivelControl",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "swiveld", dependencies: [
            "SwivelRuntime", "SwivelAPI", "SwivelControl", "SwivelPorts",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The API's client: swivelctl and the CNI plugin share it (SwiftNIO only, no server stack).
        .target(name: "SwivelClient", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "swivelctl", dependencies: [
            "SwivelControl", "SwivelYAML", "SwivelClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The CNI plugin: runs once per container attach, so it stays small (no argument parser, no server).
        .executableTarget(name: "swivel-cni", dependencies: [
            "SwivelControl", "SwivelClient", "SwivelAddress", .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        .testTarget(name: "SwivelAddressTests", dependencies: ["SwivelAddress"]),
        .testTarget(name: "SwivelPacketTests", dependencies: ["SwivelAddress", "SwivelPacket"]),
        .testTarget(name: "SwivelPipelineTests", dependencies: ["SwivelAddress", "SwivelPipeline", "SwivelCore", "SwivelPacket"]),
        .testTarget(name: "SwivelPortsTests", dependencies: ["SwivelAddress", "SwivelPorts", "SwivelCore", "SwivelPipeline", "SwivelPacket"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SwivelControlTests", dependencies: ["SwivelControl", "SwivelYAML"]),
        .testTarget(name: "SwivelCompilerTests", dependencies: ["SwivelAddress", "SwivelCompiler", "SwivelControl", "SwivelYAML", "SwivelCore", "SwivelPipeline", "SwivelPacket"]),
        // The runtime's control side without root: model sources, the state store, applies on a portless datapath.
        .testTarget(name: "SwivelRuntimeTests", dependencies: ["SwivelRuntime", "SwivelControl", "SwivelYAML", .product(name: "Logging", package: "swift-log")]),
        // Replays Fuzz/corpus through the fuzz targets' code: every committed input, every run.
        .testTarget(name: "SwivelFuzzingTests", dependencies: ["SwivelFuzzing", "SwivelCore", "SwivelPipeline"]),
        // Real namespaces, veth pairs, TAPs and a real swiveld (needs root).
        .testTarget(name: "IntegrationTests", dependencies: ["swiveld", "swivelctl", "swivel-cni"], exclude: ["Helpers"]),
    ]
)
