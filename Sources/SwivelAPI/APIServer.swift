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
                let q = Query(request)
                let owner = try q.text("owner", .name) ?? "api"
                let dryRun = try q.flag("dry_run")
                let document = try await document(NetworkConfig.self, request)
                return try await runtime.apply(document, owner: owner, dryRun: dryRun)
            }
        }
        objectRoutes(router, "networks", kind: "network", list: \NetworkConfig.networks, runtime: runtime)
        objectRoutes(router, "routers", kind: "router", list: \NetworkConfig.routers, runtime: runtime)
        objectRoutes(router, "ports", kind: "port", list: \NetworkConfig.ports, runtime: runtime)
        objectRoutes(router, "security-groups", kind: "security group", list: \NetworkConfig.securityGroups, runtime: runtime)
        router.get("/v1/state/acl") { request, _ in
            try await answer { try await runtime.acl(port: try Query(request).text("port", .name)) }
        }
        router.get("/v1/state/conntrack") { request, _ in
            try await answer {
                let q = Query(request)
                return try await runtime.conntrack(port: try q.text("port", .name), state: try q.text("state"),
                                                   limit: try q.int("limit", 1...SwitchRuntime.pageLimit) ?? 10_000,
                                                   after: try q.int("after", -1...Int(Int32.max)) ?? -1)
            }
        }
        router.get("/v1/state/conntrack-stats") { _, _ in try await answer { try await runtime.conntrackStats() } }
        router.get("/v1/state/overlay") { _, _ in try await answer { try await runtime.overlay() } }
        router.post("/v1/actions/conntrack-flush") { request, _ in
            try await answer {
                let bytes = try await request.body.collect(upTo: 1 << 16)
                let body = bytes.readableBytes == 0 ? nil
                    : try strictDecode(ConntrackFlushRequest.self, Data(bytes.readableBytesView))
                return ["flushed": try await runtime.flushConntrack(port: body?.port)]
            }
        }
        router.get("/v1/state/ports") { _, _ in try json(await runtime.ports()) }
        router.get("/v1/state/fdb") { _, _ in try json(await runtime.fdb()) }
        router.get("/v1/state/flows") { request, _ in
            try await answer {
                let q = Query(request)
                return try await runtime.flows(limit: try q.int("limit", 1...SwitchRuntime.pageLimit) ?? SwitchRuntime.pageLimit,
                                               after: try q.int("after", -1...Int(Int32.max)) ?? -1)
            }
        }
        router.get("/v1/state/drops") { _, _ in try json(await runtime.drops()) }
        router.get("/v1/state/counters") { _, _ in try json(await runtime.counters()) }
        router.post("/v1/actions/fdb-flush") { request, context in
            try await answer {
                // The body is optional: no body flushes every learned entry; a body that does not decode is an
                // error, never a silent flush of everything.
                let bytes = try await request.body.collect(upTo: 1 << 16)
                let body = bytes.readableBytes == 0 ? nil
                    : try strictDecode(FDBFlushRequest.self, Data(bytes.readableBytesView))
                return ["flushed": try await runtime.flushFDB(network: body?.network, port: body?.port)]
            }
        }
        router.post("/v1/actions/fdb-add") { request, context in
            try await answer { try await runtime.addStaticFDB(try await document(FDBEntryRequest.self, request)) }
        }
        router.post("/v1/actions/fdb-del") { request, context in
            try await answer { try await runtime.removeFDB(try await document(FDBEntryRequest.self, request)) }
        }
        router.get("/v1/state/routes") { _, _ in try json(await runtime.routes()) }
        router.get("/v1/state/neighbors") { _, _ in try json(await runtime.neighbors()) }
        router.post("/v1/actions/route-add") { request, context in
            try await answer { try await runtime.addRoute(try await document(RouteRequest.self, request)) }
        }
        router.post("/v1/actions/route-del") { request, context in
            try await answer { try await runtime.removeRoute(try await document(RouteRequest.self, request)) }
        }
        router.post("/v1/actions/flows-flush") { _, _ in try json(["flushed": await runtime.flushFlows()]) }
        router.get("/v1/health") { _, _ in try json(["status": "ok"]) }
        router.post("/v1/actions/trace") { request, context in
            try await answer { try await runtime.trace(try await document(TraceRequest.self, request)) }
        }
        router.post("/v1/actions/trace-live") { request, context in
            try await answer { try await runtime.liveTrace(try await document(LiveTraceRequest.self, request)) }
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
                let dryRun = try Query(request).flag("dry_run")
                let object = try await document(T.self, request)
                return try await runtime.put(object, into: list, name: context.parameters.get("name") ?? "", dryRun: dryRun)
            }
        }
        router.delete("/v1/\(collection)/:name") { request, context in
            try await answer {
                try await runtime.delete(from: list, name: context.parameters.get("name") ?? "", kind: kind,
                                         dryRun: try Query(request).flag("dry_run"))
            }
        }
    }

    /// A request's JSON body as `T`. At most 16 MiB; `null` is refused wherever it stands (an optional key
    /// is left out, never set to null: the model has no "unset" value, and accepting null would make
    /// `{"owner": null}` mean something the spec does not say).
    static func document<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let bytes = try await request.body.collect(upTo: 16 << 20)
        return try strictDecode(type, Data(bytes.readableBytesView))
    }

    static func strictDecode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        if let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]), let path = nullPath(root, "") {
            throw RequestError(.invalidBody, "\(path.isEmpty ? "the body" : path) is null: leave an optional key out instead")
        }
        return try JSONDecoder().decode(type, from: data)
    }

    /// Where the first null is, as a path ("overlay.owner", "rules[2]"), or nil.
    static func nullPath(_ node: Any, _ path: String) -> String? {
        if node is NSNull { return path }
        if let map = node as? [String: Any] {
            for key in map.keys.sorted() {
                if let found = nullPath(map[key] as Any, path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        } else if let list = node as? [Any] {
            for (i, element) in list.enumerated() {
                if let found = nullPath(element, "\(path)[\(i)]") { return found }
            }
        }
        return nil
    }

    /// Runs a handler and turns a refused request into a JSON error with a stable code.
    static func answer<T: Encodable>(_ body: () async throws -> T) async throws -> Response {
        do {
            return try json(try await body())
        } catch let e as RequestError {
            return try refused(e)
        } catch let e as DecodingError {
            return try json(APIErrorDoc(code: .invalidBody, message: "\(e)"), status: .badRequest)
        } catch let e as HTTPError {
            // The body did not decode (Hummingbird wraps the decoder's error): same error shape as ours.
            return try json(APIErrorDoc(code: .invalidBody, message: e.body ?? "\(e)"), status: e.status)
        }
    }

    /// Streams a pcap of a port's frames: `GET /v1/capture?port=P[&direction=rx|tx|both][&filter=EXPR]
    /// [&count=N][&duration=S][&mirror_to=PORT][&write=0]`. Ends after `count` frames, after `duration`
    /// seconds, or when the client goes away; the capture is removed from the datapath in every case.
    static func capture(_ request: Request, runtime: SwitchRuntime) async throws -> Response {
        let q = Query(request)
        let id: Int
        let duration: Double?
        do {
            guard let port = try q.text("port", .name) else { throw RequestError(.missingPort, "capture needs ?port=NAME") }
            let count = try q.int("count", 1...10_000_000)
            duration = try q.seconds("duration", 0.001...86_400)
            id = try await runtime.startCapture(port: port, direction: try q.text("direction") ?? "both",
                                                filter: try q.text("filter"), count: count,
                                                mirrorTo: try q.text("mirror_to", .name), writesFile: try q.flag("write", default: true))
        } catch let e as RequestError {
            return try refused(e)
        }
        // In range (at most a day), so the conversion to milliseconds cannot overflow.
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
        let details = e.errors.map { APIErrorDoc.Detail(path: $0.path, reason: $0.reason) }
        return try json(APIErrorDoc(code: e.code, message: e.description, path: details.first?.path,
                                    errors: details.isEmpty ? nil : details),
                        status: e.isNotFound ? .notFound : .badRequest)
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

/// The query of a request, read with checks: a value that does not parse or is out of range is refused
/// with 400 and the parameter's name, never clamped or trapped on.
struct Query {
    let parameters: [String: String]
    init(_ request: Request) {
        var p: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { p[String(k)] = String(v) }
        parameters = p
    }

    func text(_ name: String, _ format: TextFormat? = nil) throws(RequestError) -> String? {
        guard let v = parameters[name] else { return nil }
        guard v.utf8.count <= 4096 else { throw RequestError(.invalidParameter, "\(name): at most 4096 characters") }
        if let format, !format.accepts(v) { throw RequestError(.invalidParameter, "\(name): '\(v)' is not \(format.expectation)") }
        return v
    }

    func int(_ name: String, _ range: ClosedRange<Int>) throws(RequestError) -> Int? {
        guard let v = parameters[name] else { return nil }
        guard let i = Int(v), range.contains(i) else {
            throw RequestError(.invalidParameter, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
        }
        return i
    }

    func seconds(_ name: String, _ range: ClosedRange<Double>) throws(RequestError) -> Double? {
        guard let v = parameters[name] else { return nil }
        guard let d = Double(v), d.isFinite, range.contains(d) else {
            throw RequestError(.invalidParameter, "\(name) must be a number of seconds from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
        }
        return d
    }

    /// `1`/`true` or `0`/`false`; anything else is refused rather than read as false.
    func flag(_ name: String, default value: Bool = false) throws(RequestError) -> Bool {
        switch parameters[name] {
        case nil: return value
        case "1", "true": return true
        case "0", "false": return false
        case let v?: throw RequestError(.invalidParameter, "\(name) must be 0, 1, true or false, got '\(v)'")
        }
    }
}

public struct SocketInUse: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path) is in use by another swiveld (use --socket to choose another path)" }
}
