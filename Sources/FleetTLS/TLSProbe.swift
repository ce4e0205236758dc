import NIOCore
import NIOPosix
import NIOSSL
import X509

/// One HTTPS request over a fresh connection, made to check a link and explain it: which server certificate was
/// verified, or one sentence saying why the handshake failed. Used before applying new TLS settings and in tests.
///
/// The request is sent even under TLS 1.3, where a server's refusal of the client certificate arrives only after
/// the handshake, on the first read.
public enum TLSProbe {
    public struct Response: Sendable {
        /// "HTTP/1.1 200 OK"
        public var statusLine: String
        public var body: String
        /// The server's chain as verified (empty under verification_mode none).
        public var serverChain: [Certificate]
    }

    public static func get(
        host: String,
        port: Int,
        path: String = "/",
        client: TLSClientContext,
        connectHost: String? = nil,
        timeout: TimeAmount = .seconds(15),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(FlotillaError) -> Response {
        let server = "\(client.role) at \(host):\(port)"
        let report = HandshakeReport()
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        do {
            let bytes = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(host: connectHost ?? host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // A server that never answers or never closes must not hold the probe forever.
                        channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                        try channel.pipeline.syncOperations.addHandler(client.makeHandler(host: host, report: report))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
                .executeThenClose { inbound, outbound in
                    do {
                        try await outbound.write(ByteBuffer(string: request))
                    } catch {
                        // The write fails because the handshake did; the handshake's own error comes inbound.
                        for try await _ in inbound {}
                        throw error
                    }
                    var received = ByteBuffer()
                    for try await var chunk in inbound {
                        received.writeBuffer(&chunk)
                    }
                    return received
                }
            let text = String(buffer: bytes)
            let headEnd = text.range(of: "\r\n\r\n")
            let head = headEnd.map { String(text[..<$0.lowerBound]) } ?? text
            return Response(
                statusLine: head.components(separatedBy: "\r\n").first ?? "",
                body: headEnd.map { String(text[$0.upperBound...]) } ?? "",
                serverChain: report.serverChain
            )
        } catch {
            throw HandshakeDiagnosis.clientFailure(error, server: server, report: report, client: client)
        }
    }
}
