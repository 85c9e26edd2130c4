import Foundation
import Hummingbird
import Logging
import NIOCore
import SwivelControl
import SwivelRuntime

/// The HTTP/1.1 + JSON API on a Unix socket (`GET /v1/state/…`, `POST /v1/actions/…`), the interface
/// swivelctl, the CNI plugin and orchestrators use. Handlers ask the datapath through its mailbox and
/// never touch datapath state themselves.
public enum APIServer {
    public static func makeApplication(runtime: SwitchRuntime, socketPath: String, socketMode: mode_t = 0o600,
                                       socketGroup: gid_t? = nil, logger: Logger) throws -> some ApplicationProtocol {
        let router = Router()
        // The desired state: whole (GET/PUT /v1/config?owner=O&dry_run=1) and object by object.
        router.get("/v1/config") { _, _ in try await answer { try await runtime.desiredState() } }
        router.put("/v1/config") { request, context in
            try await answer {
                let q = request.uri.queryParameters
                let document = try await request.decode(as: NetworkConfig.self, context: context)
                return try await runtime.apply(document, owner: q["owner"].map(String.init) ?? "api",
                                               dryRun: q["dry_run"].map { $0 == "1" || $0 == "true" } ?? false)
            }
        }
        objectRoutes(router, "networks", kind: "network", list: \NetworkConfig.networks, runtime: runtime)
        objectRoutes(router, "routers", kind: "router", list: \NetworkConfig.routers, runtime: runtime)
        objectRoutes(router, "ports", kind: "port", list: \NetworkConfig.ports, runtime: runtime)
        objectRoutes(router, "security-groups", kind: "security group", list: \NetworkConfig.securityGroups, runtime: runtime)
        router.get("/v1/state/acl") { request, _ in
            try await answer { try await runtime.acl(port: request.uri.queryParameters["port"].map(String.init)) }
        }
        router.get("/v1/state/conntrack") { request, _ in
            try await answer {
                let q = request.uri.queryParameters
                return try await runtime.conntrack(port: q["port"].map(String.init), state: q["state"].map(String.init),
                                                   limit: q["limit"].flatMap { Int($0) } ?? 10_000)
            }
        }
        router.get("/v1/state/conntrack-stats") { _, _ in try await answer { try await runtime.conntrackStats() } }
        router.get("/v1/state/overlay") { _, _ in try await answer { try await runtime.overlay() } }
        router.post("/v1/actions/conntrack-flush") { request, _ in
            try await answer {
                let bytes = try await request.body.collect(upTo: 1 << 16)
                let body = bytes.readableBytes == 0 ? nil
                    : try JSONDecoder().decode(ConntrackFlushRequest.self, from: Data(bytes.readableBytesView))
                return ["flushed": try await runtime.flushConntrack(port: body?.port)]
            }
        }
        router.get("/v1/state/ports") { _, _ in try json(await runtime.ports()) }
        router.get("/v1/state/fdb") { _, _ in try json(await runtime.fdb()) }
        router.get("/v1/state/flows") { _, _ in try json(await runtime.flows()) }
        router.get("/v1/state/drops") { _, _ in try json(await runtime.drops()) }
        router.get("/v1/state/counters") { _, _ in try json(await runtime.counters()) }
        router.post("/v1/actions/fdb-flush") { request, context in
            try await answer {
                // The body is optional: no body flushes every learned entry; a body that does not decode is an
                // error, never a silent flush of everything.
                let bytes = try await request.body.collect(upTo: 1 << 16)
                let body = bytes.readableBytes == 0 ? nil
                    : try JSONDecoder().decode(FDBFlushRequest.self, from: Data(bytes.readableBytesView))
                return ["flushed": try await runtime.flushFDB(network: body?.network, port: body?.port)]
            }
        }
        router.post("/v1/actions/fdb-add") { request, context in
            try await answer { try await runtime.addStaticFDB(try await request.decode(as: FDBEntryRequest.self, context: context)) }
        }
        router.post("/v1/actions/fdb-del") { request, context in
            try await answer { try await runtime.removeFDB(try await request.decode(as: FDBEntryRequest.self, context: context)) }
        }
        router.get("/v1/state/routes") { _, _ in try json(await runtime.routes()) }
        router.get("/v1/state/neighbors") { _, _ in try json(await runtime.neighbors()) }
        router.post("/v1/actions/route-add") { request, context in
            try await answer { try await runtime.addRoute(try await request.decode(as: RouteRequest.self, context: context)) }
        }
        router.post("/v1/actions/route-del") { request, context in
            try await answer { try await runtime.removeRoute(try await request.decode(as: RouteRequest.self, context: context)) }
        }
        router.post("/v1/actions/flows-flush") { _, _ in try json(["flushed": await runtime.flushFlows()]) }
        router.get("/v1/health") { _, _ in try json(["status": "ok"]) }
        router.post("/v1/actions/trace") { request, context in
            try await answer { try await runtime.trace(try await request.decode(as: TraceRequest.self, context: context)) }
        }
        router.post("/v1/actions/trace-live") { request, context in
            try await answer { try await runtime.liveTrace(try await request.decode(as: LiveTraceRequest.self, context: context)) }
        }
        router.get("/v1/capture") { request, _ in try await capture(request, runtime: runtime) }

        let directory = (socketPath as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        // A socket file left by a process that died would make bind fail; nobody can be listening on it
        // if connecting fails, so it is safe to remove.
        if FileManager.default.fileExists(atPath: socketPath) {
            if isListening(socketPath) {
                throw SocketInUse(path: socketPath)
            }
            try? FileManager.default.removeItem(atPath: socketPath)
        }
        return Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "swiveld"),
            onServerRunning: { _ in
                chmod(socketPath, socketMode)
                if let socketGroup { chown(socketPath, getuid(), socketGroup) }
                logger.info("API listening on \(socketPath)")
            },
            logger: logger)
    }

    static func objectRoutes<T: ModelObject & Codable>(_ router: Router<BasicRequestContext>, _ collection: String, kind: String,
                                                       list: WritableKeyPath<NetworkConfig, [T]> & Sendable, runtime: SwitchRuntime) {
        router.get("/v1/\(collection)/:name") { _, context in
            try await answer { try await runtime.object(list, named: context.parameters.get("name") ?? "", kind: kind) }
        }
        router.put("/v1/\(collection)/:name") { request, context in
            try await answer {
                let object = try await request.decode(as: T.self, context: context)
                return try await runtime.put(object, into: list, name: context.parameters.get("name") ?? "",
                                             dryRun: request.uri.queryParameters["dry_run"].map { $0 == "1" || $0 == "true" } ?? false)
            }
        }
        router.delete("/v1/\(collection)/:name") { request, context in
            try await answer {
                try await runtime.delete(from: list, name: context.parameters.get("name") ?? "", kind: kind,
                                         dryRun: request.uri.queryParameters["dry_run"].map { $0 == "1" || $0 == "true" } ?? false)
            }
        }
    }

    /// Runs a handler and turns a refused request into a JSON error with a stable code.
    static func answer<T: Encodable>(_ body: () async throws -> T) async throws -> Response {
        do {
            return try json(try await body())
        } catch let e as RequestError {
            return try refused(e)
        } catch let e as DecodingError {
            return try json(APIErrorDoc(code: "invalid-body", message: "\(e)"), status: .badRequest)
        } catch let e as HTTPError {
            // The body did not decode (Hummingbird wraps the decoder's error): same error shape as ours.
            return try json(APIErrorDoc(code: "invalid-body", message: e.body ?? "\(e)"), status: e.status)
        }
    }

    /// Streams a pcap of a port's frames: `GET /v1/capture?port=P[&direction=rx|tx|both][&filter=EXPR]
    /// [&count=N][&duration=S][&mirror_to=PORT][&write=0]`. Ends after `count` frames, after `duration`
    /// seconds, or when the client goes away; the capture is removed from the datapath in every case.
    static func capture(_ request: Request, runtime: SwitchRuntime) async throws -> Response {
        let q = request.uri.queryParameters
        guard let port = q["port"].map(String.init) else {
            return try json(APIErrorDoc(code: "missing-port", message: "capture needs ?port=NAME"), status: .badRequest)
        }
        let count = q["count"].flatMap { Int($0) }
        let duration = q["duration"].flatMap { Double($0) }
        let id: Int
        do {
            id = try await runtime.startCapture(port: port, direction: q["direction"].map(String.init) ?? "both",
                                                filter: q["filter"].map(String.init), count: count,
                                                mirrorTo: q["mirror_to"].map(String.init), writesFile: q["write"] != "0")
        } catch let e as RequestError {
            return try refused(e)
        }
        let deadline = duration.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        return Response(status: .ok, headers: [.contentType: "application/vnd.tcpdump.pcap"], body: ResponseBody { writer in
            do {
                try await writer.write(ByteBuffer(bytes: SwitchRuntime.pcapFileHeader))
                while true {
                    let (bytes, done, _) = try await runtime.drainCapture(id)
                    if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                    if done || deadline.map({ ContinuousClock.now >= $0 }) == true { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
            } catch {
                try? await runtime.stopCapture(id)
                throw error
            }
            try await runtime.stopCapture(id)
            try await writer.finish(nil)
        })
    }

    static func refused(_ e: RequestError) throws -> Response {
        try json(APIErrorDoc(code: e.code, message: e.description), status: e.isNotFound ? .notFound : .badRequest)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        var r = try json(value)
        r.status = status
        return r
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.prefix(buf.count - 1).enumerated() { buf[i] = b }
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }
}

public struct SocketInUse: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path) is in use by another swiveld (use --socket to choose another path)" }
}
