import Foundation
import Logging
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts

/// The desired state the datapath runs, and the ids its names were given. Lives on the datapath thread.
public struct AppliedModel: Sendable {
    public var desired = NetworkConfig()
    public var networkIDs: [String: UInt16] = [:]
    public var portIDs: [String: UInt16] = [:]
    /// The VXLAN port's id while an overlay is configured.
    public var overlayPortID: UInt16?
    /// Bumped by every apply: a plan made against an older version is refused and made again.
    public var version = 0
    public init() {}
    public init(desired: NetworkConfig, networkIDs: [String: UInt16], portIDs: [String: UInt16], overlayPortID: UInt16? = nil,
                version: Int) {
        self.desired = desired; self.networkIDs = networkIDs; self.portIDs = portIDs; self.overlayPortID = overlayPortID
        self.version = version
    }
}

/// A change worked out off the datapath: new ids, newly opened ports and the new routing snapshot.
/// Installing it on the datapath thread is quick (no syscalls but closing removed ports, no table builds).
/// Made on a control thread and handed to the datapath thread through the mailbox, never used by both.
struct ApplyPlan: @unchecked Sendable {
    var base: Int
    var desired: NetworkConfig
    var networkIDs: [String: UInt16]
    var portIDs: [String: UInt16]
    /// Ports to (re)create: opened already, keyed by name.
    var opened: [String: any SwivelPorts.Port]
    /// Ports to stop: removed, or re-created because their kind or device changed.
    var closing: [UInt16]
    var routing: Routing
    var security: SecurityTable
    /// The VXLAN port: opened now when the overlay is new or its sockets change, nil otherwise.
    var openedOverlay: VxlanPort?
    var overlayPortID: UInt16?
    /// VNIs, remote VTEPs and settings, without the port id (filled in at install).
    var overlayNetworks: [UInt16: (vni: UInt32, remotes: [UInt32])]
}

extension SwitchRuntime {
    /// Works out a plan to go from `current` to `desired`. Opens the sockets and TAPs of new ports here,
    /// on the caller's thread, so the datapath never waits for them. `freePortIDs`: ids the datapath can
    /// hand out (neither used nor held by a port still draining).
    static func plan(from current: AppliedModel, to desired: NetworkConfig, freePortIDs: [UInt16], options: DatapathOptions,
                     logger: Logger) throws -> ApplyPlan {
        var networkIDs: [String: UInt16] = [:]
        var usedNetworks = Set<UInt16>()
        var names = desired.networks.map(\.name)
        if !names.contains(NetworkConfig.defaultNetworkName) { names.append(NetworkConfig.defaultNetworkName) }
        for n in names { if let id = current.networkIDs[n] { networkIDs[n] = id; usedNetworks.insert(id) } }
        var nextNetwork: UInt16 = 0
        for n in names where networkIDs[n] == nil {
            while usedNetworks.contains(nextNetwork) { nextNetwork += 1 }
            guard Int(nextNetwork) < FDB.maxNetworks else { throw RequestError("too-many-networks", "at most \(FDB.maxNetworks) networks") }
            networkIDs[n] = nextNetwork
            usedNetworks.insert(nextNetwork)
        }

        var portIDs: [String: UInt16] = [:]
        var closing: [UInt16] = []
        var fresh: [PortSpec] = []
        for spec in desired.ports {
            if let id = current.portIDs[spec.name], let before = current.desired.ports.first(where: { $0.name == spec.name }),
               before.kind == spec.kind, before.device == spec.device {
                portIDs[spec.name] = id
            } else {
                if let id = current.portIDs[spec.name] { closing.append(id) }
                fresh.append(spec)
            }
        }
        for (name, id) in current.portIDs where !desired.ports.contains(where: { $0.name == name }) { closing.append(id) }
        // The VXLAN port keeps its id (and sockets) unless the overlay goes or its address, port or device change.
        var overlayPortID = current.overlayPortID
        if let id = overlayPortID, desired.overlay?.needsNewSockets(comparedTo: current.desired.overlay) ?? true {
            closing.append(id)
            overlayPortID = nil
        }
        var free = freePortIDs.filter { id in !portIDs.values.contains(id) && id != overlayPortID }.sorted()
        var opened: [String: any SwivelPorts.Port] = [:]
        var openedOverlay: VxlanPort? = nil
        do {
            for spec in fresh {
                guard !free.isEmpty else { throw RequestError("too-many-ports", "no free port id (at most \(options.maxPorts) ports)") }
                let id = free.removeFirst()
                portIDs[spec.name] = id
                opened[spec.name] = try makePort(spec, id: id, options: options, logger: logger)
            }
            if let o = desired.overlay, overlayPortID == nil {
                guard !free.isEmpty else { throw RequestError("too-many-ports", "no free port id for the overlay's VXLAN port") }
                let id = free.removeFirst()
                openedOverlay = try makeOverlayPort(o, id: id, options: options, logger: logger)
                overlayPortID = id
            }
        } catch {
            for p in opened.values { p.stop(ring: nil, pool: FramePool.unused) }
            throw error
        }
        var overlayNetworks: [UInt16: (vni: UInt32, remotes: [UInt32])] = [:]
        for n in desired.networks {
            guard let vni = n.vni, let id = networkIDs[n.name] else { continue }
            overlayNetworks[id] = (UInt32(vni), (n.remoteVteps ?? []).compactMap(IPv4Address.parse))
        }
        // Routers on overlay networks fragment-check against what the underlay carries.
        let innerMTU = desired.overlay.map { o in (o.device.flatMap { LinkInfo.mtu(of: InterfaceName($0)) } ?? 1500) - Vxlan.overhead }
        return ApplyPlan(base: current.version, desired: desired, networkIDs: networkIDs, portIDs: portIDs,
                         opened: opened, closing: closing,
                         routing: RoutingBuilder.build(desired, networkIDs: networkIDs, overlayMTU: innerMTU),
                         security: SecurityBuilder.build(desired, portIDs: portIDs, maxPorts: options.maxPorts),
                         openedOverlay: openedOverlay, overlayPortID: overlayPortID, overlayNetworks: overlayNetworks)
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

    /// Installs a plan between batches (on the datapath thread, or before it starts).
    static func install(_ plan: ApplyPlan, on dp: Datapath, logger: Logger) {
        let old = dp.model
        // Networks: names, limits and aging; what a removed network learned is forgotten.
        for (name, id) in old.networkIDs where plan.networkIDs[name] != id {
            dp.pipeline.l2.fdb.forget(network: id)
            dp.networkNames[id] = nil
        }
        for (name, id) in plan.networkIDs {
            dp.networkNames[id] = name
            let spec = plan.desired.networks.first { $0.name == name }
            dp.pipeline.l2.fdb.configure(network: id, limit: spec?.fdb?.maxEntries ?? FDB.defaultLimit,
                                         agingSeconds: spec?.fdb?.agingSeconds ?? FDB.defaultAgingSeconds)
        }
        for id in plan.closing {
            if let p = dp.ports[Int(id)] { logger.info("port \(p.name): removed") }
            dp.remove(port: id)
            dp.pipeline.acl.forget(zone: id)
        }
        let vlanOf = Dictionary(uniqueKeysWithValues: plan.desired.networks.compactMap { n in n.vlan.map { (n.name, UInt16($0)) } })
        for spec in plan.desired.ports {
            guard let id = plan.portIDs[spec.name] else { continue }
            var tagged: [UInt16: UInt16] = [:]
            for n in spec.trunk ?? [] { if let vid = vlanOf[n], let net = plan.networkIDs[n] { tagged[vid] = net } }
            let membership = PortMembership(untagged: spec.untaggedNetwork.flatMap { plan.networkIDs[$0] }, tagged: tagged)
            let security = spec.addresses.map(securityPolicy)
            let before = old.desired.ports.first { $0.name == spec.name }
            if let port = plan.opened[spec.name] {
                dp.add(port, membership: membership, security: security)
            } else if before != spec {
                dp.update(port: id, membership: membership, security: security)
                (dp.ports[Int(id)] as? AFPacketPort)?.acceptsOffload = spec.offloads != .off
                (dp.ports[Int(id)] as? TapPort)?.acceptsOffload = spec.offloads != .off
                if let p = dp.ports[Int(id)] { dp.refreshState(of: p) }
                dp.pipeline.l2.fdb.flush(port: id)
            } else {
                continue
            }
            dp.pipeline.l2.fdb.configure(port: id, limit: spec.maxMacs)
            dp.pipeline.l2.storm.configure(port: id, pps: spec.stormControlPPS)
            if let net = spec.untaggedNetwork.flatMap({ plan.networkIDs[$0] }) {
                // Static MACs and port-security MACs (the port's own: they never move).
                for text in (spec.staticMacs ?? []) + (spec.addresses ?? []).map(\.mac) {
                    if let mac = MACAddress(text) { dp.pipeline.l2.fdb.addStatic(network: net, mac: mac, port: id) }
                }
            }
            let role = spec.isTrunk
                ? "trunk of " + (spec.trunk ?? []).map { "\($0) (vlan \(vlanOf[$0].map(String.init) ?? "-"))" }.joined(separator: ", ")
                    + (spec.native.map { ", native \($0)" } ?? "")
                : "in network \(spec.untaggedNetwork ?? "-")"
            logger.info("port \(spec.name): \(spec.kind.rawValue) \(spec.device) \(role): \(dp.ports[Int(id)]?.state ?? "?")")
        }
        if plan.routing.interfaces != dp.pipeline.routing.interfaces || plan.routing.routes != dp.pipeline.routing.routes {
            for itf in plan.routing.interfaces {
                logger.info("router \(plan.routing.routerNames[Int(itf.router)]): \(IPv4Address.format(itf.address))/\(itf.prefixLength) on network \(dp.networkNames[itf.network] ?? "?") (mac \(itf.mac), mtu \(itf.mtu))")
            }
        }
        installOverlay(plan, on: dp, logger: logger)
        dp.pipeline.adopt(routing: plan.routing)
        if plan.security.signature != dp.pipeline.acl.table.signature {
            logger.info("security groups: \(plan.security.guardedCount) guarded ports, \(plan.security.rules.count - ACLRuleInfo.builtIn.count) rules, \(plan.security.classifier.entryCount) classifier entries")
        }
        dp.pipeline.adopt(security: plan.security)
        dp.pipeline.l2.invalidateCache()
        dp.model = AppliedModel(desired: plan.desired, networkIDs: plan.networkIDs, portIDs: plan.portIDs,
                                overlayPortID: plan.overlayPortID, version: old.version + 1)
    }

    /// The VXLAN port joins every network with a VNI; the new overlay snapshot goes out with the topology.
    static func installOverlay(_ plan: ApplyPlan, on dp: Datapath, logger: Logger) {
        guard let o = plan.desired.overlay, let id = plan.overlayPortID else {
            dp.adopt(overlay: .none)
            return
        }
        let table = OverlayTable(port: id, localAddress: IPv4Address.parse(o.localIP) ?? 0,
                                 udpPort: UInt16(o.udpPort ?? Int(Vxlan.defaultPort)), ttl: UInt8(o.ttl ?? 64),
                                 dontFragment: o.df ?? true, learn: o.learn ?? true,
                                 acceptFromAny: o.learnFromAny ?? false, networks: plan.overlayNetworks)
        let membership = PortMembership(untagged: nil, overlay: table.networks)
        if let port = plan.openedOverlay {
            dp.add(port, membership: membership)
        } else if dp.pipeline.topology.membership[Int(id)] != membership {
            dp.update(port: id, membership: membership, security: nil)
        }
        let summary = describe(table, names: dp.networkNames)
        if summary != describe(dp.pipeline.topology.overlay, names: dp.networkNames) {
            logger.info("overlay: VTEP \(o.localIP):\(table.udpPort)\(o.device.map { " on \($0)" } ?? ""): \(summary): \(dp.ports[Int(id)]?.state ?? "?")")
        }
        dp.adopt(overlay: table)
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
            throw RequestError("invalid-config", errors.map(\.description).joined(separator: "\n"), errors: errors)
        }
        for attempt in 0..<3 {
            let (current, free) = try await mailbox.perform { dp in
                (dp.model, (0..<UInt16(dp.ports.count)).filter { dp.isFree(portID: $0) })
            }
            let doc = ApplyPlanDoc(from: current.desired, to: desired, applied: !dryRun)
            if dryRun || doc.isEmpty && attempt == 0 && current.desired == desired { return doc }
            let plan = try Self.plan(from: current, to: desired, freePortIDs: free, options: options, logger: logger)
            let logger = self.logger
            let installed = try await mailbox.perform { dp -> Bool in
                guard dp.model.version == plan.base else { return false }
                Self.install(plan, on: dp, logger: logger)
                return true
            }
            if installed {
                try persist(desired)
                return doc
            }
            // Somebody applied in between: give back what was opened and plan again from their state.
            for p in plan.opened.values { p.stop(ring: nil, pool: FramePool.unused) }
            plan.openedOverlay?.stop(ring: nil, pool: FramePool.unused)
        }
        throw RequestError("conflict", "the running state kept changing; try again")
    }

    /// Applies a document on behalf of an owner (`swivelctl apply`, SIGHUP, `PUT /v1/config`).
    public func apply(_ document: NetworkConfig, owner: String, dryRun: Bool = false, source: String = "api") async throws -> ApplyPlanDoc {
        let current = try await desiredState()
        return try await commit(current.applying(document, owner: owner), dryRun: dryRun, source: source)
    }

    public func desiredState() async throws -> NetworkConfig {
        try await mailbox.perform { dp in dp.model.desired }
    }

    /// Writes the desired state (the command line's objects aside) to the state file: a temporary file,
    /// fsync, rename, so a crash leaves the old file or the new one, never half of one.
    public func persist(_ desired: NetworkConfig) throws {
        guard let path = stateFile else { return }
        let text = try StateFile.encode(desired.without(owner: "cli"))
        try StateFile.write(text, to: path)
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
        guard fd >= 0 else { throw RequestError("state-file", "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            throw RequestError("state-file", "cannot write \(path): \(String(cString: strerror(errno)))")
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
            throw RequestError("unknown-\(kind)", "no \(kind) named '\(name)'")
        }
        return o
    }

    /// Creates or replaces one object (owner `api` unless it says otherwise), validated with everything else.
    public func put<T: ModelObject>(_ object: T, into list: WritableKeyPath<NetworkConfig, [T]>, name: String,
                                    dryRun: Bool = false) async throws -> ApplyPlanDoc {
        guard object.name == name else {
            throw RequestError("invalid-body", "the body names '\(object.name)' but the path names '\(name)'")
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
            throw RequestError("unknown-\(kind)", "no \(kind) named '\(name)'")
        }
        desired[keyPath: list].remove(at: i)
        return try await commit(desired, dryRun: dryRun)
    }
}
