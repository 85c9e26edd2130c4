import SwivelCompiler
import SwivelControl
import SwivelPacket
import SwivelPipeline

/// A document that validates compiles and installs into a pipeline without trapping, and what was
/// installed is what the document says; installing it again changes nothing, and installing the empty
/// model afterwards leaves the tables as empty as they started. One pipeline serves every input (its
/// tables are allocated once, as in swiveld); the way back to empty is what keeps the inputs independent.
public enum ModelInstallOracle {
    public static let maxPorts = 64

    nonisolated(unsafe) static var pipeline = Pipeline(
        pool: FramePool(smallCount: 16, largeCount: 0, receiveReserve: 0),
        topology: Topology(maxPorts: maxPorts, networkOfPort: [:]), batchCapacity: 4, fdb: FDB(capacity: 4096),
        flows: FlowTable(limit: 16), queueCapacity: 4, connections: 64)

    public static func check(_ config: NetworkConfig) throws(PipelineFuzzer.Violation) {
        let empty = CompiledModel.empty(maxPorts: maxPorts)
        let numbering: Numbering
        do {
            numbering = try Numbering.assign(from: NetworkConfig(), numbered: Numbering(), to: config,
                                             freePortIDs: (0..<UInt16(maxPorts)).map { $0 }, maxPorts: maxPorts)
        } catch {
            // More ports than ids is the one way a valid model is refused here; anything else is a bug.
            guard error.code == .tooManyPorts, config.ports.count + (config.overlay == nil ? 0 : 1) > maxPorts else {
                throw .init(description: "Violation: a valid model could not be numbered: \(error)")
            }
            return
        }
        let compiled = CompiledModel.compile(config, numbering: numbering, maxPorts: maxPorts)
        pipeline.install(compiled, replacing: empty)
        try expectInstalled(compiled, config)
        let again = pipeline.install(compiled, replacing: compiled)
        guard again.changedPorts.isEmpty, !again.routingChanged, !again.securityChanged, !again.overlayChanged else {
            throw .init(description: "Violation: installing the same model again changed \(again)")
        }
        let back = try? Numbering.assign(from: config, numbered: numbering, to: NetworkConfig(), freePortIDs: [], maxPorts: maxPorts)
        guard let back else { throw .init(description: "Violation: the empty model could not be numbered") }
        pipeline.install(.compile(NetworkConfig(), numbering: back, maxPorts: maxPorts), replacing: compiled, removing: back.closing)
        let t = pipeline.topology
        guard t.membership.allSatisfy({ $0 == nil }), t.overlay.port == nil, pipeline.l2.fdb.count == 0,
              pipeline.routing.interfaces.isEmpty, pipeline.securityGroups.table.guardedCount == 0 else {
            throw .init(description: "Violation: removing every object left tables behind (fdb \(pipeline.l2.fdb.count), "
                        + "ports \(t.membership.compactMap { $0 }.count), interfaces \(pipeline.routing.interfaces.count))")
        }
        // Back to the pipeline the next input starts from (network ids and all).
        pipeline.install(empty, replacing: .compile(NetworkConfig(), numbering: back, maxPorts: maxPorts))
    }

    /// Every port carries the networks the document gives it, with its port security; every router
    /// attachment with an address became an interface.
    static func expectInstalled(_ compiled: CompiledModel, _ config: NetworkConfig) throws(PipelineFuzzer.Violation) {
        let t = pipeline.topology
        for p in compiled.ports {
            guard t.membership[Int(p.id)] == p.membership, t.security.policies[Int(p.id)] == p.security else {
                throw .init(description: "Violation: port \(p.spec.name) installed as \(String(describing: t.membership[Int(p.id)]))")
            }
            let expected = Set((p.spec.trunk ?? []) + (p.spec.untaggedNetwork.map { [$0] } ?? []))
            let carried = Set(p.membership.networks.compactMap { id in compiled.networks.first { $0.id == id }?.name })
            guard carried == expected else {
                throw .init(description: "Violation: port \(p.spec.name) carries \(carried.sorted()), the model says \(expected.sorted())")
            }
        }
        guard pipeline.routing.interfaces.count == compiled.routing.interfaces.count else {
            throw .init(description: "Violation: the routing snapshot was not installed")
        }
    }
}
