import Foundation
import Testing
import SwivelPipeline
@testable import SwivelFuzzing
import SwivelCore

/// Every committed fuzz input, through the same code the fuzz targets run, on every test run: the corpora
/// are the regression tests of what the fuzzers found and the safety net of refactorings.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/corpus").standardizedFileURL

    /// A target's corpus (minimized by `Fuzz/run.sh --merge`) and its regressions (inputs that once
    /// crashed or broke an invariant, kept by name and never merged away).
    static func inputs(_ target: String) throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for base in [corpus, corpus.deletingLastPathComponent().appendingPathComponent("regressions")] {
            let dir = base.appendingPathComponent(target)
            guard FileManager.default.fileExists(atPath: dir.path) else { continue }
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
                out.append((name, Array(try Data(contentsOf: dir.appendingPathComponent(name)))))
            }
        }
        return out
    }

    /// Drop reasons no frame can cause in FuzzWorld, and why.
    static let unreachable: [DropReason: String] = [
        .truncated: "a port's read was cut short: a property of the device, not of the frame",
        .txError: "the kernel refused a frame on transmit: there is no kernel in the harness",
        .portDown: "every port of FuzzWorld is up",
        .txQueueFull: "an input carries at most twelve frames and each queue holds 64",
        .overlayNoHeadroom: "every pool frame has headroom: only a frame built without it (no port makes one) gets here",
    ]

    @Test func pipelineCorpusKeepsEveryInvariantAndReachesEveryDropReason() throws {
        let fuzzer = PipelineFuzzer()
        let inputs = try Self.inputs("pipeline")
        #expect(inputs.count > 20, "the pipeline corpus is missing or nearly empty")
        for (name, bytes) in inputs {
            do { try fuzzer.run(bytes) } catch { Issue.record("\(name): \(error)") }
        }
        let missing = Set(DropReason.allCases).subtracting(fuzzer.reasonsSeen).filter { Self.unreachable[$0] == nil }
        #expect(missing.isEmpty, "drop reasons no corpus input reaches: \(missing.map(\.name).sorted())")
    }

    @Test func modelCorpus() throws {
        for (name, bytes) in try Self.inputs("model") {
            do { try ModelFuzzer.run(bytes) } catch { Issue.record("\(name): \(error)") }
        }
    }

    @Test func packetSpecCorpus() throws {
        for (_, bytes) in try Self.inputs("packet-spec") { PacketSpecFuzzer.run(bytes) }
    }
}

extension CorpusReplayTests {
    @Test func cniCorpus() throws {
        for (name, bytes) in try Self.inputs("cni") {
            do { try CNIFuzzer.run(bytes) } catch { Issue.record("\(name): \(error)") }
        }
    }
}

/// The restructuring's safety net: what every pipeline corpus input did on the commit the golden file was
/// recorded on (frames out per port with a digest of their bytes and offload fields, drops by port and
/// reason) must be what it does now. A change that means to alter forwarding re-records it in a commit of
/// its own: `SWIVEL_GOLDEN=record swift test --filter pipelineGolden`. The corpus and the file change
/// together (a new input shifts nothing else: each input starts from the same state).
extension CorpusReplayTests {
    static let golden = corpus.deletingLastPathComponent().appendingPathComponent("golden/pipeline.tsv")

    @Test func pipelineGolden() throws {
        let fuzzer = PipelineFuzzer()
        var lines: [String] = []
        for (name, bytes) in try Self.inputs("pipeline") {
            do { lines.append("\(name)\t\(try fuzzer.record(bytes))") } catch { Issue.record("\(name): \(error)") }
        }
        let text = "# input\tframes out by port\tdigest of what left\tdrops by port\n" + lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["SWIVEL_GOLDEN"] == "record" {
            try FileManager.default.createDirectory(at: Self.golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: Self.golden, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8).split(separator: "\n").dropFirst()
        let got = text.split(separator: "\n").dropFirst()
        let differing = zip(expected, got).filter { $0 != $1 }
        #expect(expected.count == got.count, "the golden file has \(expected.count) inputs, the corpus \(got.count)")
        #expect(differing.isEmpty, "\(differing.count) input(s) now do something else; first: \(differing.first.map { "was \($0.0), now \($0.1)" } ?? "")")
    }
}
