import FleetAgent
import FleetTLS
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for Elasticsearch's `_bulk` endpoint, named as such: Elasticsearch itself cannot run on these
/// machines. It checks each request the way Elasticsearch would (NDJSON action and document pairs, the content
/// type, gzip, the credentials, a client certificate when asked for one) and answers in Elasticsearch's shape. It
/// can refuse some items with 429 or a mapping error, answer whole requests with 503, or go away and come back.
public final class ElasticsearchStandIn: Sendable {
    /// What a test tells it to do with the next requests.
    public struct Behaviour: Sendable {
        /// Answer this many whole requests with 503 first.
        public var failRequests = 0
        /// Answer items whose document contains this text with 429 (once each), so they are sent again.
        public var throttleOnceContaining: String?
        /// Refuse for good (400, a mapping error) items whose document contains this text.
        public var refuseContaining: String?
        /// The `Authorization` header every request must carry; `nil` accepts any.
        public var requiredAuthorization: String?
        /// Parse every document as JSON (tests); the benchmark only checks their shape.
        public var parseDocuments = true
        /// Keep the documents (tests); the benchmark only counts them.
        public var keepDocuments = true
        /// Append every accepted document to this file, one per line, before answering: the fault soak counts
        /// what was delivered across kill -9 of the stand-in from it.
        public var recordPath: String?

        public init() {}
    }

    /// Appends `text` with one `write` on an `O_APPEND` descriptor: requests recorded at once on several event
    /// loops never overwrite each other.
    static func append(_ text: String, to path: String) -> Bool {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return false }
        defer { Glibc.close(descriptor) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }

    public let tls: TLSServerContext?
    public let logs = LogCapture()
    public var port: Int { boundPort.withLockedValue { $0 } }
    private let boundPort = NIOLockedValueBox(0)
    private let state: NIOLockedValueBox<State>
    private let channel: NIOLockedValueBox<(any Channel)?>
    /// Open connections, closed when the stand-in goes away.
    private let children = NIOLockedValueBox<[any Channel]>([])

    struct State {
        var behaviour: Behaviour
        var documents: [String: [String]] = [:]
        var count = 0
        var requests = 0
        var gzipRequests = 0
        var throttled = Set<String>()
        var clientSubjects = Set<String>()
    }

    /// Starts it on a free loopback port (or `port`), with TLS when `settings` are given.
    public static func start(_ settings: TLSSettings?, behaviour: Behaviour = Behaviour(), port: Int = 0) async throws -> ElasticsearchStandIn {
        let standIn = try ElasticsearchStandIn(tls: settings.map { try TLSServerContext(settings: $0, role: "Elasticsearch stand-in") }, behaviour: behaviour)
        try await standIn.listen(port: port)
        return standIn
    }

    init(tls: TLSServerContext?, behaviour: Behaviour) throws {
        self.tls = tls
        self.state = NIOLockedValueBox(State(behaviour: behaviour))
        self.channel = NIOLockedValueBox(nil)
    }

    func listen(port wanted: Int) async throws {
        let tls = self.tls
        let logs = self.logs
        let bound = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                children.withLockedValue { $0.append(channel) }
                acceptedConnections.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    let peer = NIOLockedValueBox<PeerIdentity?>(nil)
                    let operations = channel.pipeline.syncOperations
                    if let tls {
                        try operations.addHandler(tls.makeHandler())
                        try operations.addHandler(TLSEventLogger(logger: logs.logger("tls"), server: tls) { identity in
                            peer.withLockedValue { $0 = identity }
                            return nil
                        })
                    }
                    try operations.configureHTTPServerPipeline()
                    try operations.addHandler(BulkHandler(standIn: self, peer: peer))
                }
            }
            .bind(host: "127.0.0.1", port: wanted)
            .get()
        boundPort.withLockedValue { $0 = bound.localAddress!.port! }
        channel.withLockedValue { $0 = bound }
    }

    /// Stops listening and drops open connections' future requests: the output "goes away".
    public func stop() async throws {
        try await channel.withLockedValue { $0 }?.close()
        channel.withLockedValue { $0 = nil }
        for child in children.withLockedValue({ list in defer { list.removeAll() }; return list }) {
            try? await child.close()
        }
    }

    /// Listens again on the same port.
    public func restart() async throws {
        try await listen(port: port)
    }

    public func change(_ adjust: @Sendable (inout Behaviour) -> Void) {
        state.withLockedValue { adjust(&$0.behaviour) }
    }

    /// Documents received, by data stream.
    public var documents: [String: [String]] { state.withLockedValue { $0.documents } }
    /// Documents received in all.
    public var count: Int { state.withLockedValue { $0.count } }
    public var requests: Int { state.withLockedValue { $0.requests } }
    public var gzipRequests: Int { state.withLockedValue { $0.gzipRequests } }
    /// Connections accepted so far.
    public var connections: Int { acceptedConnections.withLockedValue { $0 } }
    private let acceptedConnections = NIOLockedValueBox(0)
    /// Subjects of the client certificates presented.
    public var clientSubjects: Set<String> { state.withLockedValue { $0.clientSubjects } }

    /// The `message` of every document, in arrival order.
    public var messages: [String] {
        documents.values.flatMap { $0 }.compactMap { text in
            (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["message"] as? String
        }
    }

    /// Answers one request: Elasticsearch's status and body.
    func answer(_ head: HTTPRequestHead, body: ByteBuffer, peer: PeerIdentity?) -> (HTTPResponseStatus, String) {
        let behaviour = state.withLockedValue { state -> Behaviour in
            state.requests += 1
            if let subject = peer?.subject { state.clientSubjects.insert(subject) }
            return state.behaviour
        }
        if let required = behaviour.requiredAuthorization, head.headers["authorization"].first != required {
            return (.unauthorized, #"{"error":{"type":"security_exception","reason":"unable to authenticate with provided credentials"},"status":401}"#)
        }
        if head.method == .GET && head.uri == "/_standin/stats" {
            let (count, requests) = state.withLockedValue { ($0.count, $0.requests) }
            return (.ok, #"{"count":\#(count),"requests":\#(requests)}"#)
        }
        if head.method == .GET && head.uri.hasPrefix("/_cat/health") {
            // rsyslog's omelasticsearch asks for this before it ships.
            return (.ok, "1764612000 18:00:00 flotilla-standin green 1 1 0 0 0 0 0 0 - 100.0%\n")
        }
        if head.method == .GET && head.uri == "/" {
            return (.ok, #"{"name":"standin","cluster_name":"flotilla-standin","version":{"number":"8.17.0"},"tagline":"A stand-in for Elasticsearch"}"#)
        }
        guard head.method == .POST, head.uri.hasPrefix("/_bulk") else {
            return (.notFound, #"{"error":{"type":"no_handler","reason":"only _bulk and / are served by the stand-in"},"status":404}"#)
        }
        let failing = state.withLockedValue { state -> Bool in
            guard state.behaviour.failRequests > 0 else { return false }
            state.behaviour.failRequests -= 1
            return true
        }
        if failing {
            return (.serviceUnavailable, #"{"error":{"type":"cluster_block_exception","reason":"the stand-in is told to be unavailable"},"status":503}"#)
        }
        let type = head.headers["content-type"].first ?? ""
        guard type.hasPrefix("application/x-ndjson") || type.hasPrefix("application/json") else {
            return (.notAcceptable, #"{"error":{"type":"media_type_header_exception","reason":"Content-Type must be application/x-ndjson"},"status":406}"#)
        }
        var plain = body
        if head.headers["content-encoding"].first == "gzip" {
            state.withLockedValue { $0.gzipRequests += 1 }
            guard let inflated = Gzip.decompress(body) else {
                return (.badRequest, #"{"error":{"type":"parse_exception","reason":"the body is not valid gzip"},"status":400}"#)
            }
            plain = inflated
        }
        let lines = plain.readableBytesView.split(separator: 0x0a, omittingEmptySubsequences: true)
        guard lines.count % 2 == 0 else {
            return (.badRequest, #"{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\n]"},"status":400}"#)
        }
        var items: [String] = []
        var errors = false
        var accepted: [(String, String)] = []
        for pair in stride(from: 0, to: lines.count, by: 2) {
            let actionText = String(decoding: lines[lines.startIndex + pair], as: UTF8.self)
            let document = String(decoding: lines[lines.startIndex + pair + 1], as: UTF8.self)
            guard let action = try? JSONSerialization.jsonObject(with: Data(actionText.utf8)) as? [String: [String: Any]],
                  let (verb, meta) = action.first, verb == "create" || verb == "index", let index = meta["_index"] as? String else {
                return (.badRequest, #"{"error":{"type":"action_request_validation_exception","reason":"Malformed action/metadata line"},"status":400}"#)
            }
            let shaped = document.hasPrefix("{") && document.hasSuffix("}")
            let parsed = behaviour.parseDocuments ? (try? JSONSerialization.jsonObject(with: Data(document.utf8))) is [String: Any] : shaped
            if !parsed || (behaviour.refuseContaining.map { document.contains($0) } ?? false) {
                errors = true
                items.append(#"{"\#(verb)":{"_index":"\#(index)","status":400,"error":{"type":"document_parsing_exception","reason":"failed to parse field [message] of type [long]"}}}"#)
                continue
            }
            if let marker = behaviour.throttleOnceContaining, document.contains(marker) {
                let first = state.withLockedValue { $0.throttled.insert(document).inserted }
                if first {
                    errors = true
                    items.append(#"{"\#(verb)":{"_index":"\#(index)","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}}"#)
                    continue
                }
            }
            accepted.append((index, document))
            items.append(#"{"\#(verb)":{"_index":"\#(index)","_id":"\#(UUID().uuidString)","status":201,"result":"created"}}"#)
        }
        if let path = behaviour.recordPath, !accepted.isEmpty, !Self.append(accepted.map { $0.1 + "\n" }.joined(), to: path) {
            // Nothing is answered as stored that was not: the shipper sends it again.
            return (.internalServerError, #"{"error":{"type":"io_exception","reason":"the stand-in cannot record"},"status":500}"#)
        }
        state.withLockedValue { state in
            if behaviour.keepDocuments {
                for (index, document) in accepted { state.documents[index, default: []].append(document) }
            }
            state.count += accepted.count
        }
        return (.ok, #"{"took":1,"errors":\#(errors),"items":[\#(items.joined(separator: ","))]}"#)
    }

    final class BulkHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let standIn: ElasticsearchStandIn
        let peer: NIOLockedValueBox<PeerIdentity?>
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(standIn: ElasticsearchStandIn, peer: NIOLockedValueBox<PeerIdentity?>) {
            self.standIn = standIn
            self.peer = peer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let request):
                head = request
                body.clear()
            case .body(var bytes):
                body.writeBuffer(&bytes)
            case .end:
                guard let head else { return }
                let (status, text) = standIn.answer(head, body: body, peer: peer.withLockedValue { $0 })
                var response = HTTPResponseHead(version: .http1_1, status: status)
                response.headers.add(name: "Content-Type", value: "application/json")
                response.headers.add(name: "Content-Length", value: "\(text.utf8.count)")
                response.headers.add(name: "X-Elastic-Product", value: "Elasticsearch")
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if !head.isKeepAlive {
                    written.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
                }
                self.head = nil
            }
        }
    }
}
