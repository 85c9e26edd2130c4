import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal client of swiveld's HTTP/JSON API on its Unix socket, on SwiftNIO's HTTP/1.1 codec
/// (already a dependency of the server), so swivelctl and the CNI plugin stay small and need no TLS stack.
public struct APIClient {
    public var socketPath: String
    public init(socketPath: String) { self.socketPath = socketPath }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The socket could not be reached (no swiveld, or another path): callers may wait and retry.
        public var isUnreachable: Bool
        public init(description: String, isUnreachable: Bool = false) { self.description = description; self.isUnreachable = isUnreachable }
    }

    /// Sends a request; the answer's body is collected, or written to `sink` as it arrives (captures).
    public func request(_ method: HTTPMethod, _ path: String, body: Data? = nil, sink: FileHandle? = nil) async throws -> (Int, Data) {
        let collector = ResponseCollector(sink: sink)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHTTPClientHandlers()
                        try ch.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
        } catch {
            collector.result.fail(error)   // nobody will answer it: settle it, or NIO reports a leaked promise
            throw Failure(description: "cannot reach swiveld at \(socketPath): \(error) (is swiveld running? use --socket PATH)",
                          isUnreachable: true)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "localhost")
        head.headers.add(name: "Connection", value: "close")
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if method == .POST || method == .PUT {
            head.headers.add(name: "Content-Length", value: "0")
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        let result = try await collector.result.futureResult.get()
        try? await channel.close()
        return result
    }
}

final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    // Touched only on the channel's event loop.
    var status = 0
    var body = Data()
    let sink: FileHandle?
    let result: EventLoopPromise<(Int, Data)>

    init(sink: FileHandle?) {
        self.sink = sink
        result = MultiThreadedEventLoopGroup.singleton.next().makePromise()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): status = Int(h.status.code)
        case .body(var b):
            guard let bytes = b.readBytes(length: b.readableBytes) else { return }
            // Only a successful answer is streamed to the sink; an error document is kept to be shown.
            if let sink, status == 200 { sink.write(Data(bytes)) } else { body.append(contentsOf: bytes) }
        case .end: result.succeed((status, body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        result.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        result.fail(APIClient.Failure(description: "swiveld closed the connection"))
    }
}
