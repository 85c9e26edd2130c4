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
                                       logger: Logger) throws -> some ApplicationProtocol {
        let router = Router()
        router.get("/v1/state/ports") { _, _ in try json(await runtime.ports()) }
        router.get("/v1/state/fdb") { _, _ in try json(await runtime.fdb()) }
        router.get("/v1/state/flows") { _, _ in try json(await runtime.flows()) }
        router.post("/v1/actions/fdb-flush") { _, _ in try json(["flushed": await runtime.flushFDB()]) }
        router.post("/v1/actions/flows-flush") { _, _ in try json(["flushed": await runtime.flushFlows()]) }
        router.get("/v1/health") { _, _ in try json(["status": "ok"]) }

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
                logger.info("API listening on \(socketPath)")
            },
            logger: logger)
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
