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
        /// Header lines as received, names lowercased.
        public var headers: [String: String]
        public var body: String
        /// The status code, 0 when the status line is malformed.
        public var status: Int {
            statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        }
        /// The server's chain as verified (empty under verification_mode none).
        public var serverChain: [Certificate]
    }

    public static func get(
        host: String,
        port: Int,
        path: String = "/",
        client: TLSClientContext,
        connectHost: String? = nil,
        proxy: ForwardProxy? = nil,
        timeout: TimeAmount = .seconds(15)
    ) async throws(FlotillaError) -> Response {
        try await send(host: host, port: port, path: path, client: client, connectHost: connectHost, proxy: proxy, timeout: timeout)
    }

    /// Any request; the body is sent with its Content-Length, the answer read until the server closes.
    public static func send(
        method: String = "GET",
        host: String,
        port: Int,
        path: String = "/",
        headers: [String: String] = [:],
        body: String? = nil,
        client: TLSClientContext,
        connectHost: String? = nil,
        connectPort: Int? = nil,
        proxy: ForwardProxy? = nil,
        timeout: TimeAmount = .seconds(15),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(FlotillaError) -> Response {
        let transport = ClientTransport(host: host, port: port, tls: client, proxy: proxy, dialHost: connectHost, dialPort: connectPort, role: client.role)
        let report = HandshakeReport()
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Length: \(body.utf8.count)\r\nContent-Type: application/json\r\n" }
        request += "\r\n" + (body ?? "")
        let channel = try await transport.connect(report: report, group: group) { channel in
            // A server that never answers or never closes must not hold the probe forever.
            channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
        do {
            let bytes = try await channel.executeThenClose { inbound, outbound in
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
            guard text.hasPrefix("HTTP/") else {
                throw FlotillaError("The \(transport.server) closed the connection without an HTTP answer", hint: "check that it is an HTTPS server and look at its log")
            }
            let headEnd = text.range(of: "\r\n\r\n")
            let head = headEnd.map { String(text[..<$0.lowerBound]) } ?? text
            let lines = head.components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Response(
                statusLine: lines.first ?? "",
                headers: headers,
                body: headEnd.map { String(text[$0.upperBound...]) } ?? "",
                serverChain: report.serverChain
            )
        } catch {
            throw transport.explain(error, report: report)
        }
    }
}
