import Foundation
import SwivelControl
import SwivelYAML
import SwivelRuntime
import Logging
import Testing

/// The runtime's control side without root or devices: which source of the model wins at start, the
/// state store's compare-and-swap, and applies through a running (portless) datapath being stored in
/// order.
@Suite struct StateTests {
    static func model(_ yaml: String) throws -> NetworkConfig { try ConfigLoader.parse(yaml, file: "test") }

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swivel-state-\(UInt32.random(in: 0...UInt32.max)).json").path
    }

    @Test func theCommandLineBeatsTheConfigFileWhichBeatsTheStoredState() throws {
        var stored = try Self.model("networks: [{name: old}, {name: kept, vlan: 5}]")
        stored.networks[0].owner = "config"      // the file owned it once; it no longer lists it
        stored.networks[1].owner = "api"
        let file = try Self.model("networks: [{name: blue, vlan: 10}]")
        var cli = NetworkConfig()
        cli.networks = [NetworkSpec(name: "blue", vlan: 20)]
        let merged = try ModelSources.merge(stored: stored, configFile: file, commandLine: cli, source: "test")
        #expect(merged.networks.first { $0.name == "blue" }?.vlan == 20, "the command line wins")
        #expect(merged.networks.first { $0.name == "blue" }?.owner == "cli")
        #expect(merged.networks.contains { $0.name == "kept" }, "objects the config file does not own stay")
        #expect(!merged.networks.contains { $0.name == "old" }, "the config file's old objects go with it")
        // Without a config file everything stored comes back.
        let restored = try ModelSources.merge(stored: stored, configFile: nil, commandLine: NetworkConfig(), source: "test")
        #expect(Set(restored.networks.map(\.name)) == ["old", "kept"])
    }

    @Test func anInvalidMergeIsRefusedWithItsSource() throws {
        let file = try Self.model("networks: [{name: a, vlan: 10}]")
        var cli = NetworkConfig()
        cli.networks = [NetworkSpec(name: "b", vlan: 10)]
        #expect { try ModelSources.merge(stored: nil, configFile: file, commandLine: cli, source: "swivel.yaml") } throws: { error in
            (error as? ConfigErrors)?.errors.contains { $0.file == "swivel.yaml" && $0.reason.contains("vlan") } == true
        }
    }

    @Test func theStateFileStoreIsACompareAndSwap() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = FileStateStore(path: path)
        #expect(try store.load().revision == 0, "nothing stored yet")
        let one = try Self.model("networks: [{name: one}]")
        let r1 = try store.commit(one, expectedRevision: 0)
        #expect(r1 == 1)
        #expect { try store.commit(one, expectedRevision: 0) } throws: { error in
            if case .conflict(let expected, let current) = error as? StateStoreError { return expected == 0 && current == 1 }
            return false
        }
        let reread = try FileStateStore(path: path).load()
        #expect(reread.model.networks.map(\.name) == ["one"] && reread.revision == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the state file is the operator's alone")
    }

    @Test func aRefusedStateFileIsAnErrorWithItsPlace() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "networks: [{name: a, vlan: 5000}]".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try FileStateStore(path: path).load() } throws: { error in
            if case .refused(let errors) = error as? StateStoreError { return errors.errors.first?.path == "networks.a.vlan" }
            return false
        }
    }

    /// A running runtime with no ports: an apply is installed, stored, and a late write of an older
    /// version does not overwrite it.
    @Test func appliesAreStoredInOrder() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = FileStateStore(path: path)
        let runtime = try SwitchRuntime(config: NetworkConfig(), store: store)
        try runtime.persistInitialState(NetworkConfig())
        runtime.start()
        defer { runtime.stop() }
        let plan = try await runtime.apply(try Self.model("networks: [{name: blue, vlan: 10}]"), owner: "api")
        #expect(plan.applied)
        #expect(try await runtime.desiredState().networks.map(\.name) == ["blue"])
        #expect(try store.load().model.networks.map(\.name) == ["blue"])
        try runtime.persist(NetworkConfig(), version: 1)   // an older apply finishing late
        #expect(try store.load().model.networks.map(\.name) == ["blue"], "the newer state stays")
        await #expect(throws: Error.self) { try await runtime.apply(try Self.model("networks: [{name: x, vlan: 9999}]"), owner: "api") }
        #expect(try store.load().model.networks.map(\.name) == ["blue"], "a refused document changes nothing")
    }
}

/// SIGHUP reloads the config file through the runtime: a good file is applied (its objects only), a bad
/// one is refused with its file:line and changes nothing. The signal is really raised, in this process.
@Suite(.serialized) struct ReloadTests {
    @Test func sighupAppliesTheFileAndABadFileChangesNothing() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swivel-reload-\(UInt32.random(in: 0...UInt32.max)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "networks: [{name: blue, vlan: 10}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let runtime = try SwitchRuntime(config: NetworkConfig())
        runtime.start()
        defer { runtime.stop() }
        // An object another owner made: a reload must leave it alone.
        _ = try await runtime.apply(try StateTests.model("networks: [{name: api-net, vlan: 30}]"), owner: "api")
        let reloader = ConfigReloader(runtime: runtime, path: path, logger: Logger(label: "test"))
        reloader.handleSIGHUP()
        defer { reloader.cancel() }

        // The signal source is registered asynchronously: until it is, SIGHUP is ignored. So the first
        // signal is repeated until a reload happens; every later one must cause exactly one.
        for _ in 0..<50 where reloader.history.isEmpty {
            kill(getpid(), SIGHUP)
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(300))
        let first = try #require(reloader.history.last, "no reload within 5 s of SIGHUP")
        guard case .applied = first else { Issue.record("the good file was refused: \(first)"); return }
        var seen = reloader.history.count

        func afterSignal() async throws -> ConfigReloader.Outcome {
            kill(getpid(), SIGHUP)
            for _ in 0..<500 where reloader.history.count == seen { try await Task.sleep(for: .milliseconds(10)) }
            #expect(reloader.history.count == seen + 1, "one SIGHUP, one reload")
            seen = reloader.history.count
            return try #require(reloader.history.last)
        }

        var names = try await runtime.desiredState().networks.map(\.name)
        #expect(Set(names) == ["blue", "api-net"])

        try "networks:\n  - {name: blue, vlan: 10}\n  - {name: red, vlan: 5000}\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .refused(let reason) = try await afterSignal() else { Issue.record("a VLAN of 5000 was applied"); return }
        #expect(reason.contains(path) && reason.contains("vlan"), "\(reason)")
        names = try await runtime.desiredState().networks.map(\.name)
        #expect(Set(names) == ["blue", "api-net"], "a refused file changes nothing")

        try "networks: [{name: green, vlan: 11}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .applied = try await afterSignal() else { Issue.record("the fixed file was refused"); return }
        names = try await runtime.desiredState().networks.map(\.name)
        #expect(Set(names) == ["green", "api-net"], "the file's old objects go, other owners' stay")
    }
}

/// Docs/architecture.md lists every kind of control request, so the datapath's control surface is
/// readable in one place.
@Suite struct ControlRequestDocsTests {
    @Test func everyControlRequestIsListedInTheArchitecture() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("Docs/architecture.md"), encoding: .utf8)
        let sources = root.appendingPathComponent("Sources/SwivelRuntime")
        var kinds: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("struct ") && line.hasSuffix(": ControlRequest {") {
                kinds.append(String(line.dropFirst(7).prefix { $0 != ":" }))
            }
        }
        #expect(kinds.count >= 20, "found \(kinds)")
        for kind in kinds { #expect(doc.contains("| `\(kind)` |"), "\(kind) is not in Docs/architecture.md's control requests") }
    }
}
