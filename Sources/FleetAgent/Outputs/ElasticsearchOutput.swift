import FleetTLS
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The `elasticsearch` and `remote_elasticsearch` outputs: `_bulk` requests of `create` actions into data streams,
/// gzip, the hosts used in turn (a failed request moves to the next), API key, service token or basic credentials,
/// and each item's answer read so that only what failed is sent again.
public final class ElasticsearchOutput: AgentOutput {
    public let id: String
    public let type: String
    public let settings: OutputSettings
    let clients: [HTTPClient]
    let authorization: String?
    private let turn = NIOLockedValueBox(0)

    public var batchSize: Int { settings.batchSize }
    public var flushInterval: Double { settings.flushInterval }

    public init(settings: OutputSettings) throws(FlotillaError) {
        let field = "outputs.\(settings.id)"
        id = settings.id
        type = settings.type
        self.settings = settings
        let role = "Elasticsearch output \(settings.id)"
        var endpoints: [HTTPEndpoint] = []
        for host in settings.hosts { endpoints.append(try HTTPEndpoint(url: host, field: "\(field).hosts", allowPlain: true)) }
        let secure = endpoints.contains(where: \.secure)
        let tls = secure ? try TLSClientContext(
            settings: settings.tls, role: role, fields: TLSFieldNames(prefix: "\(field).ssl")
        ) : nil
        var clients: [HTTPClient] = []
        for endpoint in endpoints {
            let proxy: ForwardProxy? = if let configured = settings.proxy {
                try configured.resolve(field: field)
            } else {
                try ForwardProxy.fromEnvironment(for: endpoint.host, port: endpoint.port)
            }
            clients.append(try HTTPClient(endpoint: endpoint, tls: tls, proxy: proxy, headers: settings.headers, headersField: "\(field).headers", role: role))
        }
        self.clients = clients
        if let key = settings.apiKey {
            // Kibana writes the key as id:key; a key already in base64 is sent as it is.
            authorization = "ApiKey " + (key.contains(":") ? Data(key.utf8).base64EncodedString() : key)
        } else if let token = settings.serviceToken {
            authorization = "Bearer \(token)"
        } else if let user = settings.username {
            authorization = "Basic " + Data("\(user):\(settings.password ?? "")".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    public func close() {
        for client in clients { client.close() }
    }

    /// The next host in turn.
    func nextClient() -> HTTPClient {
        clients[turn.withLockedValue { value in defer { value += 1 }; return value % clients.count }]
    }

    var requestHeaders: [String: String] {
        var headers = ["Content-Type": "application/x-ndjson", "Accept": "application/json"]
        if let authorization { headers["Authorization"] = authorization }
        return headers
    }

    public func publish(_ events: [QueuedEvent]) async throws(FlotillaError) -> PublishResult {
        var body = ByteBuffer()
        body.reserveCapacity(events.reduce(0) { $0 + $1.document.count + $1.index.utf8.count + 32 })
        // Most of a batch goes to one or two data streams: each action line is made once.
        var actions: [String: [UInt8]] = [:]
        for event in events {
            if actions[event.index] == nil {
                var action = EventJSON(capacity: event.index.utf8.count + 24)
                action.raw("{\"create\":{\"_index\":")
                action.string(event.index)
                action.raw("}}\n")
                actions[event.index] = action.bytes
            }
            body.writeBytes(actions[event.index]!)
            body.writeBytes(event.document)
            body.writeInteger(UInt8(ascii: "\n"))
        }
        let client = nextClient()
        let response = try await client.send(
            .POST, "/_bulk", body: body, headers: requestHeaders, gzip: settings.compressionLevel > 0, timeout: settings.timeout
        )
        let server = client.transport.server
        switch response.status {
        case 200:
            return try Self.items(of: response, count: events.count, server: server)
        case 401, 403:
            throw FlotillaError("The \(server) refused this agent's credentials (\(response.status)): \(response.message)", hint: "check outputs.\(id).api_key (or its username and password) and the key's privileges")
        case 413:
            // Too large: the worker sends the batch again in halves; a single event too large is refused for good.
            guard events.count > 1 else {
                return PublishResult(refused: [.init(position: 0, status: 413, reason: "The \(server) refused this event as too large for one request")])
            }
            return PublishResult(retry: Array(events.indices), tooLarge: true)
        default:
            throw FlotillaError("The \(server) answered the bulk request with \(response.status): \(response.message)", hint: "the events are kept and sent again with backoff")
        }
    }

    /// Reads the per-item answers of a `_bulk` response.
    static func items(of response: HTTPResponse, count: Int, server: String) throws(FlotillaError) -> PublishResult {
        // Elasticsearch writes "errors" before the items: a clean answer needs no parsing of 1,600 items.
        let head = String(decoding: response.body.prefix(200), as: UTF8.self).replacingOccurrences(of: " ", with: "")
        if head.hasPrefix("{"), head.contains("\"errors\":false") { return .delivered }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw FlotillaError("The \(server) answered the bulk request with something that is not JSON", hint: "check that hosts points at Elasticsearch")
        }
        if object["errors"] as? Bool == false { return .delivered }
        guard let items = object["items"] as? [[String: Any]], items.count == count else {
            throw FlotillaError("The \(server) answered the bulk request with \((object["items"] as? [Any])?.count ?? 0) items for \(count) events", hint: "the events are sent again")
        }
        var result = PublishResult()
        for (position, item) in items.enumerated() {
            guard let action = (item["create"] ?? item["index"] ?? item.values.first) as? [String: Any] else {
                result.retry.append(position)
                continue
            }
            let status = action["status"] as? Int ?? 500
            // 409 on create: the document is already there, which is what an at-least-once resend looks like.
            if (200..<300).contains(status) || status == 409 { continue }
            if status == 429 || status >= 500 {
                result.retry.append(position)
                continue
            }
            let error = action["error"] as? [String: Any]
            let reason = [error?["type"] as? String, error?["reason"] as? String].compactMap { $0 }.joined(separator: ": ")
            result.refused.append(.init(position: position, status: status, reason: reason.isEmpty ? "refused with \(status)" : reason))
        }
        return result
    }

    /// `GET /` on each host until one answers: TLS, proxy and credentials are all exercised.
    public func probe() async throws(FlotillaError) {
        var first: FlotillaError?
        for client in clients {
            do throws(FlotillaError) {
                let response = try await client.send(.GET, "/", headers: requestHeaders, timeout: 15)
                switch response.status {
                case 401, 403:
                    throw FlotillaError("The \(client.transport.server) refused this agent's credentials (\(response.status)): \(response.message)", hint: "check outputs.\(id).api_key")
                default:
                    return
                }
            } catch {
                first = first ?? error
            }
        }
        if let first { throw first }
    }
}
