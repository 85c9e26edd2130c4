import Foundation
import Logging
import SwivelCompiler
import SwivelControl
import SwivelYAML
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelAddress

/// The desired state the datapath runs, the ids its names were given and what it compiled to. Lives on
/// the datapath thread.
public struct AppliedModel: Sendable {
    public var desired = NetworkConfig()
    public var numbering = Numbering()
    public var compiled: CompiledModel
    /// Bumped by every apply: a plan made against an older version is refused and made again.
    public var version = 0
    public init(maxPorts: Int) { compiled = .empty(maxPorts: maxPorts) }

    public var networkIDs: [String: UInt16] { numbering.networkIDs }
    public var portIDs: [String: UInt16] { numbering.portIDs }
    /// The VXLAN port's id while an overlay is configured.
    public var overlayPortID: UInt16? { numbering.overlayPortID }
}

/// A change worked out off the datapath: the numbering, the newly opened ports and the compiled tables.
/// Installing it on the datapath thread is quick (no syscalls but closing removed ports, no table builds).
/// Made on a control thread and handed to the datapath thread through the mailbox, never used by both.
struct ApplyPlan: @unchecked Sendable {
    var base: Int
    var desired: NetworkConfig
    var numbering: Numbering
    var compiled: CompiledModel
    /// Ports to (re)create: opened already, keyed by name.
    var opened: [String: any SwivelPorts.Port]
    /// The VXLAN port: opened now when the overlay is new or its sockets change, nil otherwise.
    var openedOverlay: VxlanPort?
}

extension SwitchRuntime {
    /// Works out a plan to go from `current` to `desired`. Opens the sockets and TAPs of new ports here,
    /// on the caller's thread, so the datapath never waits for them. `freePortIDs`: ids the datapath can
    /// hand out (neither used nor held by a port still draining).
    static func plan(from current: AppliedModel, to desired: NetworkConfig, freePortIDs: [UInt16], options: DatapathOptions,
                     logger: Logger) throws -> ApplyPlan {
        let numbering: Numbering
        do {
            numbering = try Numbering.assign(from: current.desired, numbered: current.numbering, to: desired,
                                             freePortIDs: freePortIDs, maxPorts: options.maxPorts)
        } catch { throw RequestError(error.code, error.description) }
        var opened: [String: any SwivelPorts.Port] = [:]
        var openedOverlay: VxlanPort? = nil
        do {
            for spec in desired.ports where numbering.fresh.contains(spec.name) {
                guard let id = numbering.portIDs[spec.name] else { continue }
                opened[spec.name] = try makePort(spec, id: id, options: options, logger: logger)
            }
            if let o = desired.overlay, numbering.freshOverlay, let id = numbering.overlayPortID {
                openedOverlay = try makeOverlayPort(o, id: id, options: options, logger: logger)
            }
        } catch {
            for p in opened.values { p.stop(ring: nil, pool: FramePool.unused) }
            throw error
        }
        // Routers on overlay networks fragment-check against what the underlay carries.
        let innerMTU = desired.overlay.map { o in (o.device.flatMap { LinkInfo.mtu(of: InterfaceName($0)) } ?? 1500) - Vxlan.overhead }
        return ApplyPlan(base: current.version, desired: desired, numbering: numbering,
                         compiled: .compile(desired, numbering: numbering, maxPorts: options.maxPorts, overlayMTU: innerMTU),
                         opened: opened, openedOverlay: openedOverlay)
    }

    /// Opens the VXLAN port. From the command line a failure is an error; from a config file or the API the
    /// port starts down and binds once a second (the underlay address may come later).
    static func makeOverlayPort(_ spec: OverlaySpec, id: UInt16, options: DatapathOptions, logger: Logger) throws -> VxlanPort {
        let port = VxlanPort(id: id, name: OverlaySpec.portName, device: spec.device, localAddress: IPv4Address.parse(spec.localIP) ?? 0,
                             udpPort: UInt16(spec.udpPort ?? Int(Vxlan.defaultPort)), batchSize: options.batchSize)
        do { try port.open() } catch {
            if spec.owner == "cli" { throw error }
            logger.warning("overlay: \(error.reason); retrying every second")
        }
        return port
    }

    /// Creates and opens a port. A command-line port that cannot open is an error (a typo must not start
    /// a useless switch); a configured one starts down and binds when its device appears.
    static func makePort(_ spec: PortSpec, id: UInt16, options: DatapathOptions, logger: Logger) throws -> any SwivelPorts.Port {
        let fromCLI = spec.owner == "cli"
        let port: any SwivelPorts.Port
        switch spec.kind {
        case .afpacket:
            let p = AFPacketPort(id: id, name: spec.name, device: spec.device, engine: options.engine,
                                 batchSize: options.batchSize, ringBlockTimeoutMs: options.ringBlockTimeoutMs)
            do { try p.open() } catch {
                if fromCLI { throw error }
                logger.warning("port \(spec.name): \(error.reason); it stays down until \(spec.device) appears")
            }
            p.acceptsOffload = spec.offloads != .off
            port = p
        case .tap:
            let p = TapPort(id: id, name: spec.name, device: spec.device, persistent: !fromCLI)
            do { try p.open() } catch {
                if fromCLI { throw error }
                logger.warning("port \(spec.name): \(error.reason); retrying every second")
            }
            p.acceptsOffload = spec.offloads != .off
            port = p
        }
        return port
    }

    /// Installs a plan between batches (on the datapath thread, or before it starts): the ports' devices
    /// here, the tables in `Pipeline.install`.
    static func install(_ plan: ApplyPlan, on dp: Datapath, logger: Logger) {
        let old = dp.model
        for id in plan.numbering.closing {
            if let p = dp.ports[Int(id)] { logger.info("port \(p.name): removed") }
            dp.detach(port: id)
        }
        for port in plan.opened.values { dp.attach(port) }
        if let port = plan.openedOverlay { dp.attach(port) }
        dp.networkNames = Dictionary(plan.compiled.networks.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let report = dp.pipeline.install(plan.compiled, replacing: old.compiled, removing: plan.numbering.closing)
        for p in plan.compiled.ports {
            (dp.ports[Int(p.id)] as? AFPacketPort)?.acceptsOffload = p.acceptsOffload
            (dp.ports[Int(p.id)] as? TapPort)?.acceptsOffload = p.acceptsOffload
        }
        for port in plan.opened.values { dp.start(port) }
        if let port = plan.openedOverlay { dp.start(port) }
        for port in dp.activePorts { dp.refreshState(of: port) }
        log(report, plan: plan, on: dp, logger: logger)
        dp.model.desired = plan.desired
        dp.model.numbering = plan.numbering
        dp.model.compiled = plan.compiled
        dp.model.version = old.version + 1
    }

    /// One line per port whose settings changed, and one for each changed router, security groups and overlay.
    static func log(_ report: InstallReport, plan: ApplyPlan, on dp: Datapath, logger: Logger) {
        let vlanOf = Dictionary(plan.desired.networks.compactMap { n in n.vlan.map { (n.name, $0) } }, uniquingKeysWith: { a, _ in a })
        for id in report.changedPorts {
            guard let spec = plan.compiled.port(id: id)?.spec else { continue }
            let role = spec.isTrunk
                ? "trunk of " + (spec.trunk ?? []).map { "\($0) (vlan \(vlanOf[$0].map(String.init) ?? "-"))" }.joined(separator: ", ")
                    + (spec.native.map { ", native \($0)" } ?? "")
                : "in network \(spec.untaggedNetwork ?? "-")"
            logger.info("port \(spec.name): \(spec.kind.rawValue) \(spec.device) \(role): \(dp.ports[Int(id)]?.state ?? "?")")
        }
        let routing = plan.compiled.routing
        if report.routingChanged {
            for itf in routing.interfaces {
                logger.info("router \(routing.routerNames[Int(itf.router)]): \(IPv4Address.format(itf.address))/\(itf.prefixLength) on network \(dp.networkNames[itf.network] ?? "?") (mac \(itf.mac), mtu \(itf.mtu))")
            }
        }
        if report.overlayChanged, let o = plan.desired.overlay, let id = plan.numbering.overlayPortID {
            let table = plan.compiled.overlay
            logger.info("overlay: VTEP \(o.localIP):\(table.udpPort)\(o.device.map { " on \($0)" } ?? ""): \(describe(table, names: dp.networkNames)): \(dp.ports[Int(id)]?.state ?? "?")")
        }
        if report.securityChanged {
            let s = plan.compiled.security
            logger.info("security groups: \(s.guardedCount) guarded ports, \(s.rules.count - ACLRuleInfo.builtIn.count) rules, \(s.classifier.entryCount) classifier entries")
        }
    }

    static func describe(_ t: OverlayTable, names: [UInt16: String]) -> String {
        let nets = t.networks.sorted().map { n in
            "\(names[n] ?? "#\(n)") vni \(t.vni(network: n)) -> [\(t.remotes(network: n).map(IPv4Address.format).joined(separator: ", "))]"
        }
        return "learn \(t.learn)\(t.acceptFromAny ? " from any VTEP" : ""), ttl \(t.ttl), df \(t.dontFragment); " + nets.joined(separator: "; ")
    }

    // MARK: the API's way in

    /// Makes `desired` the running state: validated as a whole first (nothing changes when anything is
    /// wrong), then applied in one step between batches. Returns what changed (or, for a dry run, what
    /// would). `source` names the input in error messages.
    public func commit(_ desired: NetworkConfig, dryRun: Bool = false, source: String = "api") async throws -> ApplyPlanDoc {
        let errors = Validator.validate(desired, file: source)
        if !errors.isEmpty {
            // A conflict a client can resolve by choosing again (an address another port holds) has its own code.
            let code = errors.allSatisfy { $0.code == .addressInUse } ? APIErrorCode.addressInUse : .invalidConfig
            throw RequestError(code, errors.map(\.description).joined(separator: "\n"), errors: errors)
        }
        for attempt in 0..<3 {
            let (current, free) = try await mailbox.send(ReadAppliedModel())
            let doc = ApplyPlanDoc(from: current.desired, to: desired, applied: !dryRun)
            if dryRun || doc.isEmpty && attempt == 0 && current.desired == desired { return doc }
            let plan = try Self.plan(from: current, to: desired, freePortIDs: free, options: options, logger: logger)
            let installed = try await mailbox.send(InstallPlan(plan: plan, logger: logger))
            if let version = installed {
                try persist(desired, version: version)
                return doc
            }
            // Somebody applied in between: give back what was opened and plan again from their state.
            for p in plan.opened.values { p.stop(ring: nil, pool: FramePool.unused) }
            plan.openedOverlay?.stop(ring: nil, pool: FramePool.unused)
        }
        throw RequestError(.conflict, "the running state kept changing; try again")
    }

    /// Applies a document on behalf of an owner (`swivelctl apply`, SIGHUP, `PUT /v1/config`).
    public func apply(_ document: NetworkConfig, owner: String, dryRun: Bool = false, source: String = "api") async throws -> ApplyPlanDoc {
        let current = try await desiredState()
        return try await commit(current.applying(document, owner: owner), dryRun: dryRun, source: source)
    }

    public func desiredState() async throws -> NetworkConfig {
        try await mailbox.send(ReadDesiredModel())
    }

    /// Writes the desired state (the command line's objects aside) to the store, unless a newer version
    /// was written already (applies that finish out of order never write an older state last).
    public func persist(_ desired: NetworkConfig, version: Int) throws {
        guard let store else { return }
        try persisted.withLock { last in
            guard version > last.version else { return }
            do {
                last.revision = try store.commit(desired.without(owner: "cli"), expectedRevision: last.revision)
                last.version = version
            } catch {
                throw RequestError(.stateFile, "the change is applied but not stored: \(error)")
            }
        }
    }

    /// Writes the state the runtime started with (the first install, version 1).
    public func persistInitialState(_ model: NetworkConfig) throws {
        try persist(model, version: 1)
    }
}

/// The state file: the model's schema in JSON (which is YAML, so the config reader reads it with file:line
/// errors), written atomically. JSON rather than YAML's block style because it is written after every
/// apply: 10 000 rules encode in a tenth of a second this way, against seconds with the YAML encoder.
public enum StateFile {
    public static func encode(_ config: NetworkConfig) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(config), as: UTF8.self) + "\n"
    }

    public static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RequestError(.stateFile, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            throw RequestError(.stateFile, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the state file through the same reader and validator as a config file; a missing file is an
    /// empty state. A file this version refuses (one an older version wrote with values it now refuses, or a
    /// damaged one) is an error: swiveld will not start on half of it unless told to (`recover`).
    public static func read(_ path: String) -> Result<NetworkConfig, ConfigErrors> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return .success(NetworkConfig()) }
        do {
            return .success(try ConfigLoader.parse(text, file: path))
        } catch {
            return .failure(error)
        }
    }

    /// Loads every object of the state file that validates and writes the refused ones, with their
    /// reasons, to `PATH.rejected-TIMESTAMP`. Returns the state and that file's path (nil: nothing refused).
    public static func recover(_ path: String) throws -> (NetworkConfig, rejectedFile: String?, rejected: Int) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return (NetworkConfig(), nil, 0) }
        let (config, rejected) = StateRecovery.recover(text, file: path)
        guard !rejected.isEmpty else { return (config, nil, 0) }
        let aside = "\(path).rejected-\(Int(Date().timeIntervalSince1970))"
        try write(StateRecovery.report(rejected, source: path), to: aside)
        return (config, aside, rejected.count)
    }
}

extension FramePool {
    /// For stopping ports that never ran (nothing of theirs is in any pool).
    nonisolated(unsafe) static let unused = FramePool(smallCount: 1, largeCount: 0, receiveReserve: 0)
}

// MARK: one object at a time (GET|PUT|DELETE /v1/{networks|routers|ports}/{name})

extension SwitchRuntime {
    public func object<T: ModelObject>(_ list: KeyPath<NetworkConfig, [T]>, named name: String, kind: String) async throws -> T {
        guard let o = try await desiredState()[keyPath: list].first(where: { $0.name == name }) else {
            throw RequestError(.unknown(kind), "no \(kind) named '\(name)'")
        }
        return o
    }

    /// Creates or replaces one object (owner `api` unless it says otherwise), validated with everything else.
    public func put<T: ModelObject>(_ object: T, into list: WritableKeyPath<NetworkConfig, [T]>, name: String,
                                    dryRun: Bool = false) async throws -> ApplyPlanDoc {
        guard object.name == name else {
            throw RequestError(.invalidBody, "the body names '\(object.name)' but the path names '\(name)'")
        }
        var o = object
        if o.owner == nil { o.owner = "api" }
        var desired = try await desiredState()
        if let i = desired[keyPath: list].firstIndex(where: { $0.name == name }) { desired[keyPath: list][i] = o } else { desired[keyPath: list].append(o) }
        return try await commit(desired, dryRun: dryRun)
    }

    public func delete<T: ModelObject>(from list: WritableKeyPath<NetworkConfig, [T]>, name: String, kind: String,
                                       dryRun: Bool = false) async throws -> ApplyPlanDoc {
        var desired = try await desiredState()
        guard let i = desired[keyPath: list].firstIndex(where: { $0.name == name }) else {
            throw RequestError(.unknown(kind), "no \(kind) named '\(name)'")
        }
        desired[keyPath: list].remove(at: i)
        return try await commit(desired, dryRun: dryRun)
    }
}

/// The applied model and the port ids free for new ports: what a plan starts from.
struct ReadAppliedModel: ControlRequest {
    func run(on dp: Datapath) -> (AppliedModel, [UInt16]) {
        (dp.model, (0..<UInt16(dp.ports.count)).filter { dp.isFree(portID: $0) })
    }
}

/// Installs a plan when the running model is still the one it was planned from: the new version, or nil
/// (somebody applied in between; the caller plans again).
struct InstallPlan: ControlRequest {
    let plan: ApplyPlan
    let logger: Logger
    func run(on dp: Datapath) -> Int? {
        guard dp.model.version == plan.base else { return nil }
        SwitchRuntime.install(plan, on: dp, logger: logger)
        return dp.model.version
    }
}

/// The desired state as the datapath runs it.
struct ReadDesiredModel: ControlRequest {
    func run(on dp: Datapath) -> NetworkConfig { dp.model.desired }
}
