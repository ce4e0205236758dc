import FleetTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTPS server on loopback built on `TLSServerContext` and `TLSEventLogger`, the pieces a Fleet Server
/// uses. It answers every request with "client=<certificate subject>" or "client=anonymous".
public final class TestHTTPSServer: Sendable {
    public let tls: TLSServerContext
    public let logs = LogCapture()
    public let port: Int
    let channel: any Channel

    public static func start(_ settings: TLSSettings) async throws -> TestHTTPSServer {
        try await TestHTTPSServer(tls: TLSServerContext(settings: settings, role: "test server"))
    }

    init(tls: TLSServerContext) async throws {
        self.tls = tls
        let logs = self.logs
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = NIOLockedValueBox<PeerIdentity?>(nil)
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(tls.makeHandler())
                    try operations.addHandler(TLSEventLogger(logger: logs.logger("tls"), server: tls) { identity in
                        peer.withLockedValue { $0 = identity }
                        return nil
                    })
                    try operations.configureHTTPServerPipeline()
                    try operations.addHandler(Responder(peer: peer))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        port = channel.localAddress!.port!
    }

    public func stop() async throws {
        try await channel.close()
    }

    final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let peer: NIOLockedValueBox<PeerIdentity?>
        var keepAlive = true
        /// Headers named X-Echo-* are answered back, so clients' extra headers can be checked.
        var echoed: [String] = []

        init(peer: NIOLockedValueBox<PeerIdentity?>) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            if case .head(let request) = part {
                keepAlive = request.isKeepAlive
                echoed = request.headers.filter { $0.name.lowercased().hasPrefix("x-echo-") }.map { ";\($0.name.lowercased())=\($0.value)" }
            }
            guard case .end = part else { return }
            let body = "client=\(peer.withLockedValue { $0?.subject } ?? "anonymous")" + echoed.joined()
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                written.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
        }
    }
}
