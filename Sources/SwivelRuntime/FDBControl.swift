import CSwivelLinux
import Foundation
import Synchronization
import Logging
import SwivelControl
import SwivelPacket
import SwivelPipeline
import SwivelPorts
import SwivelCore
import SwivelAddress

// The FDB through the API: its entries and counters, static entries added and removed, flushes.
extension SwitchRuntime {
    public func fdb() async throws -> FDBDoc {
        try await mailbox.send(ReadFDB())
    }

    /// Adds a static entry: `mac` pinned to `port` in `network`.
    public func addStaticFDB(_ r: FDBEntryRequest) async throws -> FDBEntryRequest {
        let mac = try RequestError.unicastMAC(r.mac)
        var parsed: UInt32 = 0
        if let text = r.remote {
            guard let ip = IPv4Address.parse(text), ip != 0, ip >> 28 != 0xE else {
                throw RequestError(.invalidRemote, "'\(text)' is not a unicast IPv4 address of a VTEP")
            }
            guard r.port == nil || r.port == OverlaySpec.portName else {
                throw RequestError(.invalidRemote, "a remote entry lives on the VXLAN port; leave out port '\(r.port!)'")
            }
            parsed = ip
        }
        let remote = parsed
        try await mailbox.send(AddStaticFDBEntry(r: r, mac: mac, remote: remote))
        return r
    }

    /// Removes an entry (static or learned).
    public func removeFDB(_ r: FDBEntryRequest) async throws -> [String: Int] {
        let mac = try RequestError.unicastMAC(r.mac)
        try await mailbox.send(RemoveFDBEntry(r: r, mac: mac))
        return ["removed": 1]
    }

    /// Removes learned entries, all or only those of one network and/or one port.
    public func flushFDB(network: String? = nil, port: String? = nil) async throws -> Int {
        try await mailbox.send(FlushFDB(network: network, port: port))
    }
}

/// The FDB's live entries and its counters per network.
struct ReadFDB: ControlRequest {
    func run(on dp: Datapath) -> FDBDoc {
        let now = dp.clock.nowNanos
        let fdb = dp.pipeline.l2.fdb
        let rows = fdb.rows(now: now).map { r in
            FDBEntryDoc(port: dp.ports[Int(r.port)]?.name ?? "#\(r.port)", network: dp.networkNames[r.network] ?? "#\(r.network)",
                        vlan: 0, mac: r.mac.description, type: r.isStatic ? "static" : "learned", age: Int(r.ageSeconds),
                        remote: r.remote == 0 ? nil : IPv4Address.format(r.remote))
        }
        let s = fdb.stats
        let networks = dp.networkNames.sorted { $0.key < $1.key }.map { id, name in
            FDBNetworkDoc(network: name, entries: fdb.count(network: id), limit: fdb.limit(network: id),
                          agingSeconds: fdb.agingSeconds(network: id))
        }
        var stats = FDBStatsDoc(current: fdb.count, limit: fdb.table.limit, learned: s.learned,
                                moved: s.moved, expired: s.expired, limitHits: s.limitHits)
        stats.staticEntries = fdb.staticCount
        stats.portLimitHits = s.portLimitHits
        stats.flushed = s.flushed
        stats.staticMovesRefused = s.staticMoveRefused
        stats.networks = networks
        return FDBDoc(entries: rows, stats: stats)
    }
}

/// Pins a MAC to a port (or, with `remote`, to a VTEP behind the VXLAN port) in a network.
struct AddStaticFDBEntry: ControlRequest {
    let r: FDBEntryRequest
    let mac: MACAddress
    let remote: UInt32
    func run(on dp: Datapath) throws {
        let port = try dp.requirePort(remote != 0 ? OverlaySpec.portName : r.port ?? "")
        let network = try dp.requireNetwork(r.network)
        guard dp.networks(ofPort: port.id).contains(r.network) else {
            throw RequestError(.invalidPort, remote != 0 ? "network '\(r.network)' has no vni: it is not on the overlay"
                                                           : "port '\(port.name)' is not in network '\(r.network)'")
        }
        dp.pipeline.l2.invalidateCache()
        guard dp.pipeline.l2.fdb.addStatic(network: network, mac: mac, port: port.id, remote: remote) else {
            throw RequestError(.tableFull, "the FDB is full")
        }
    }
}

/// Removes one FDB entry, static or learned.
struct RemoveFDBEntry: ControlRequest {
    let r: FDBEntryRequest
    let mac: MACAddress
    func run(on dp: Datapath) throws {
        let network = try dp.requireNetwork(r.network)
        dp.pipeline.l2.invalidateCache()
        guard dp.pipeline.l2.fdb.remove(network: network, mac: mac) else {
            throw RequestError(.unknownEntry, "no entry for \(mac) in network '\(r.network)'")
        }
    }
}

/// Removes learned FDB entries: all, or those of one network and/or one port.
struct FlushFDB: ControlRequest {
    let network: String?
    let port: String?
    func run(on dp: Datapath) throws -> Int {
        let networkID = try network.map { try dp.requireNetwork($0) }
        let portID = try port.map { try dp.requirePort($0).id }
        dp.pipeline.l2.invalidateCache()
        return dp.pipeline.l2.fdb.flush(network: networkID, port: portID)
    }
}
