import FleetTLS
import NIOCore
import NIOPosix

/// One TLS connection kept open across several HTTP/1.1 requests, to see what a reload does to open connections.
public final class KeepAliveClient: @unchecked Sendable {  // used by one test task at a time
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    public let report: HandshakeReport
    let host: String

    public init(host: String, port: Int, client: TLSClientContext) async throws {
        let report = HandshakeReport()
        self.report = report
        self.host = host
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(client.makeHandler(host: host, report: report))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        inbound = channel.inbound.makeAsyncIterator()
    }

    /// Sends a GET and returns the body, reading exactly Content-Length bytes.
    public func get() async throws -> String {
        try await channel.outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n"))
        var received = ""
        while let chunk = try await inbound.next() {
            received += String(buffer: chunk)
            if let end = received.range(of: "\r\n\r\n"),
               let lengthLine = received[..<end.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
               let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
               received[end.upperBound...].utf8.count >= length {
                return String(received[end.upperBound...])
            }
        }
        throw ChannelError.eof
    }

    public func close() async throws {
        channel.outbound.finish()
        try await channel.channel.close()
    }

    /// A test that fails between opening and closing drops the client: its writer must be finished, or NIO stops
    /// the whole test process instead of reporting the failure.
    deinit {
        channel.outbound.finish()
    }
}
