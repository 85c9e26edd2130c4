import Foundation
import Logging
import Synchronization
import SwivelControl
import SwivelYAML

/// Re-reading the config file on SIGHUP: the file's objects (owner `config`) are applied as one change;
/// a file that cannot be read, parsed or validated is reported with its file:line and the running state
/// stays as it was. Objects other owners made (the API, the command line) are never touched.
public final class ConfigReloader: Sendable {
    public let path: String
    let runtime: SwitchRuntime
    let logger: Logger
    /// What each reload did, oldest first (the last 16): for tests and for `swiveld`'s log.
    let outcomes = Mutex<[Outcome]>([])
    let subscription = Mutex<SignalSubscription?>(nil)

    /// A dispatch signal source: dispatch objects are safe to use from any thread, which is what makes the
    /// unchecked Sendable sound (the reference itself is only swapped under the mutex).
    final class SignalSubscription: @unchecked Sendable {
        let source: DispatchSourceSignal
        init(_ source: DispatchSourceSignal) { self.source = source }
    }

    public enum Outcome: Sendable {
        case applied(ApplyPlanDoc)
        case refused(String)
    }

    public init(runtime: SwitchRuntime, path: String, logger: Logger) {
        self.runtime = runtime
        self.path = path
        self.logger = logger
    }

    /// Reads the file and applies it now.
    @discardableResult
    public func reload() async -> Outcome {
        let outcome: Outcome
        do {
            let document = try ModelSources.readConfigFile(path)
            let plan = try await runtime.apply(document, owner: NetworkConfig.defaultOwner, source: path)
            logger.notice("SIGHUP: applied \(path): \(plan.summary)")
            outcome = .applied(plan)
        } catch {
            logger.error("SIGHUP: \(path) not applied, the running state is unchanged:\n\(error)")
            outcome = .refused("\(error)")
        }
        outcomes.withLock { $0.append(outcome); if $0.count > 16 { $0.removeFirst() } }
        return outcome
    }

    /// The reloads so far, oldest first.
    public var history: [Outcome] { outcomes.withLock { $0 } }

    /// From now on SIGHUP reloads (the signal's default action, ending the process, is turned off).
    public func handleSIGHUP() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [self] in Task { await reload() } }
        source.resume()
        let new = SignalSubscription(source)
        subscription.withLock { $0?.source.cancel(); $0 = new }
    }

    public func cancel() { subscription.withLock { $0?.source.cancel(); $0 = nil } }
}

extension ModelSources {
    /// The config file's document, or the reason it cannot be read, with the file's name.
    public static func readConfigFile(_ path: String) throws -> NetworkConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(file: path, path: "", reason: "cannot read the file")])
        }
        return try ConfigLoader.parse(text, file: path)
    }
}
