import SwivelCompiler
import SwivelControl
import SwivelYAML
import SwivelPacket
import SwivelPipeline
import Testing
import SwivelAddress

/// Numbering, compiling and installing a model into an in-memory pipeline: what swiveld does on every
/// apply, without devices or root.
@Suite struct InstallTests {
    static let maxPorts = 16

    static let model = """
        networks:
          - {name: blue, vlan: 10, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}]}
          - {name: red, vlan: 20, fdb: {max_entries: 100, aging_seconds: 30}}
        routers: [{name: r, networks: [blue]}]
        ports:
          - {name: a, kind: tap, device: ta, network: blue, addresses: [{mac: "02:00:00:00:00:0a", ips: [10.1.0.10]}]}
          - {name: b, kind: tap, device: tb, network: red, static_macs: ["02:00:00:00:00:0b"], max_macs: 8}
          - {name: t, kind: afpacket, device: vt, trunk: [blue, red], offloads: "off"}
        """

    struct World {
        var pipeline = Pipeline(pool: FramePool(smallCount: 16, largeCount: 0, receiveReserve: 0),
                                topology: Topology(maxPorts: InstallTests.maxPorts, networkOfPort: [:]), batchCapacity: 4)
        var config = NetworkConfig()
        var numbering = Numbering()
        var compiled = CompiledModel.empty(maxPorts: InstallTests.maxPorts)

        /// Applies a document the way swiveld does: number against the running model, compile, install.
        @discardableResult
        mutating func apply(_ yaml: String) throws -> InstallReport {
            let next = try ConfigLoader.parse(yaml, file: "test")
            let free = (0..<UInt16(InstallTests.maxPorts)).filter { id in !numbering.portIDs.values.contains(id) && id != numbering.overlayPortID }
            let n = try Numbering.assign(from: config, numbered: numbering, to: next, freePortIDs: free, maxPorts: InstallTests.maxPorts)
            let c = CompiledModel.compile(next, numbering: n, maxPorts: InstallTests.maxPorts)
            let report = pipeline.install(c, replacing: compiled, removing: n.closing)
            (config, numbering, compiled) = (next, n, c)
            return report
        }
        func id(_ port: String) -> UInt16 { numbering.portIDs[port]! }
        func network(_ name: String) -> UInt16 { numbering.networkIDs[name]! }
        mutating func fixed(_ mac: String, in network: String) -> UInt16? {
            pipeline.l2.fdb.lookupEntry(network: self.network(network), mac: MACAddress(mac)!, now: 0).flatMap { $0.isStatic ? $0.port : nil }
        }
    }

    @Test func installsWhatTheModelSays() throws {
        var w = World()
        let report = try w.apply(Self.model)
        #expect(Set(report.changedPorts) == [w.id("a"), w.id("b"), w.id("t")])
        #expect(report.routingChanged && report.securityChanged == false)
        let t = w.pipeline.topology
        #expect(t.membership[Int(w.id("a"))] == .access(w.network("blue")))
        #expect(t.membership[Int(w.id("t"))] == .trunk([10: w.network("blue"), 20: w.network("red")]))
        #expect(t.network(port: Int(w.id("t")), vid: 20) == w.network("red"))
        #expect(t.security.policies[Int(w.id("a"))]?.addresses.first?.ipv4 == [0x0A01_000A])
        #expect(w.fixed("02:00:00:00:00:0a", in: "blue") == w.id("a"), "the port-security MAC never moves")
        #expect(w.fixed("02:00:00:00:00:0b", in: "red") == w.id("b"))
        #expect(w.pipeline.routing.interfaces.map(\.address) == [0x0A01_0001])
        #expect(w.compiled.port(id: w.id("t"))?.acceptsOffload == false)
        #expect(w.compiled.networks.first { $0.name == "red" }?.fdbLimit == 100)
    }

    @Test func theSameModelAgainChangesNothingAndForgetsNothing() throws {
        var w = World()
        try w.apply(Self.model)
        w.pipeline.l2.fdb.learn(network: w.network("blue"), mac: MACAddress("02:00:00:00:00:77")!, port: w.id("t"), now: 1)
        let ids = w.numbering
        let report = try w.apply(Self.model)
        #expect(report.isEmpty)
        #expect(w.numbering.portIDs == ids.portIDs && w.numbering.networkIDs == ids.networkIDs)
        #expect(w.pipeline.l2.fdb.lookupEntry(network: w.network("blue"), mac: MACAddress("02:00:00:00:00:77")!, now: 1)?.port == w.id("t"))
    }

    /// A network's VLAN ID changes while the trunk's own spec stays: the trunk's VLAN map follows.
    @Test func aNetworksNewVLANReachesTheTrunksThatCarryIt() throws {
        var w = World()
        try w.apply(Self.model)
        let report = try w.apply(Self.model.replacingOccurrences(of: "name: red, vlan: 20", with: "name: red, vlan: 30"))
        #expect(report.changedPorts == [w.id("t")])
        #expect(w.pipeline.topology.network(port: Int(w.id("t")), vid: 30) == w.network("red"))
        #expect(w.pipeline.topology.network(port: Int(w.id("t")), vid: 20) == Topology.noNetwork)
    }

    @Test func aRemovedPortLeavesNothingBehind() throws {
        var w = World()
        try w.apply(Self.model)
        let b = w.id("b"), red = w.network("red")
        w.pipeline.counters.countDrop(Int(b), .runt)
        try w.apply(Self.model.replacingOccurrences(of: "  - {name: b, kind: tap, device: tb, network: red, static_macs: [\"02:00:00:00:00:0b\"], max_macs: 8}\n", with: ""))
        #expect(w.numbering.portIDs["b"] == nil && w.numbering.closing == [b])
        #expect(w.pipeline.topology.membership[Int(b)] == nil)
        #expect(w.pipeline.l2.fdb.lookupEntry(network: red, mac: MACAddress("02:00:00:00:00:0b")!, now: 0) == nil)
        #expect(w.pipeline.counters.snapshot(port: Int(b)).drops.isEmpty)
    }

    @Test func aPortThatChangesDeviceIsReopenedUnderANewID() throws {
        var w = World()
        try w.apply(Self.model)
        let before = w.id("a")
        try w.apply(Self.model.replacingOccurrences(of: "device: ta", with: "device: ta2"))
        #expect(w.numbering.fresh == ["a"] && w.numbering.closing == [before])
        #expect(w.id("a") != before)
        #expect(w.pipeline.topology.membership[Int(before)] == nil)
        #expect(w.fixed("02:00:00:00:00:0a", in: "blue") == w.id("a"))
    }

    @Test func moreTapsThanIDsIsRefusedWithACode() throws {
        var w = World()
        let ports = (0..<(Self.maxPorts + 1)).map { "  - {name: p\($0), kind: tap, device: t\($0)}" }.joined(separator: "\n")
        #expect { try w.apply("ports:\n" + ports) } throws: { ($0 as? CompileError)?.code == .tooManyPorts }
        #expect(w.pipeline.topology.membership.allSatisfy { $0 == nil }, "nothing was installed")
    }

    @Test func theOverlayPortCarriesEveryNetworkWithAVNI() throws {
        var w = World()
        let yaml = """
            overlay: {local_ip: 192.0.2.1}
            networks: [{name: blue, vni: 5001, remote_vteps: [192.0.2.2]}, {name: red}]
            """
        let report = try w.apply(yaml)
        let vxlan = try #require(w.numbering.overlayPortID)
        #expect(report.overlayChanged && w.numbering.freshOverlay)
        #expect(w.pipeline.topology.membership[Int(vxlan)] == PortMembership(untagged: nil, overlay: [w.network("blue")]))
        #expect(w.pipeline.topology.overlay.remotes(network: w.network("blue")) == [0xC000_0202])
        let overlay = w.pipeline.topology.overlay
        #expect(try w.apply(yaml).isEmpty)
        #expect(w.pipeline.topology.overlay === overlay, "the same overlay keeps its table (and what was learned behind VTEPs)")
    }
}
