import Foundation
import SwivelControl

/// Where the desired state lives between runs, behind one seam: the state file today, etcd in a cluster.
/// `commit` is a compare-and-swap on the store's revision, so two writers cannot silently overwrite each
/// other; `watch` yields the changes other writers make (the state file has none: this process is its
/// only writer). Callers (`SwitchRuntime.persist`, swiveld's start-up) see only this protocol.
public protocol StateStore: Sendable {
    /// The stored model and its revision (0: nothing stored yet).
    func load() throws(StateStoreError) -> (model: NetworkConfig, revision: Int)
    /// Stores `model` if the store is still at `expectedRevision`; returns the new revision.
    func commit(_ model: NetworkConfig, expectedRevision: Int) throws(StateStoreError) -> Int
    /// Changes made by other writers after `revision`.
    func watch(from revision: Int) -> AsyncStream<StateChange>
}

public struct StateChange: Sendable {
    public var model: NetworkConfig
    public var revision: Int
}

public enum StateStoreError: Error, CustomStringConvertible, Sendable {
    /// Someone else committed first: the store is at `current`.
    case conflict(expected: Int, current: Int)
    /// The stored state does not read or validate (each problem with its place).
    case refused(ConfigErrors)
    /// The store could not be read or written.
    case unavailable(String)

    public var description: String {
        switch self {
        case .conflict(let expected, let current): "the state changed underneath (revision \(current), expected \(expected))"
        case .refused(let errors): errors.description
        case .unavailable(let why): why
        }
    }
}

/// The state file as a store: the model in JSON, written atomically (`StateFile.write`); its revision
/// counts this process's commits (the file has one writer, so nothing else can move it).
public final class FileStateStore: StateStore, @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var revision = 0

    public init(path: String) { self.path = path }

    public func load() throws(StateStoreError) -> (model: NetworkConfig, revision: Int) {
        switch StateFile.read(path) {
        case .success(let model):
            lock.lock(); defer { lock.unlock() }
            if revision == 0 && FileManager.default.fileExists(atPath: path) { revision = 1 }
            return (model, revision)
        case .failure(let errors):
            throw .refused(errors)
        }
    }

    public func commit(_ model: NetworkConfig, expectedRevision: Int) throws(StateStoreError) -> Int {
        lock.lock(); defer { lock.unlock() }
        guard expectedRevision == revision else { throw .conflict(expected: expectedRevision, current: revision) }
        do {
            try StateFile.write(try StateFile.encode(model), to: path)
        } catch {
            throw .unavailable("\(error)")
        }
        revision += 1
        return revision
    }

    public func watch(from revision: Int) -> AsyncStream<StateChange> {
        AsyncStream { $0.finish() }
    }

    /// Loads what validates of a refused file and sets the rest aside (`--state-file-recover`).
    public func recover() throws -> (NetworkConfig, rejectedFile: String?, rejected: Int) {
        try StateFile.recover(path)
    }

    /// The revision of the last commit (or load).
    public var currentRevision: Int {
        lock.lock(); defer { lock.unlock() }
        return revision
    }
}
