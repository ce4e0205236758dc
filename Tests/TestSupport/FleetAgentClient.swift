import FleetProtocol
import FleetTLS
import Foundation

/// A minimal agent speaking the agent API over real TLS, for tests: enroll, check in, ack, unenroll.
public struct FleetAgentClient: Sendable {
    public var host = "localhost"
    public var port: Int
    public let tls: TLSClientContext
    public var agentId: String = ""
    public var apiKey: String = ""

    public init(port: Int, tls: TLSClientContext) {
        self.port = port
        self.tls = tls
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var json: JSONValue? { try? JSONValue(data: Data(body.utf8)) }
        public func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(body.utf8)) }
    }

    public func send(_ method: String, _ path: String, body: String? = nil, authorization: String? = nil) async throws -> Reply {
        var headers: [String: String] = [:]
        if let authorization { headers["Authorization"] = authorization }
        let response = try await TLSProbe.send(method: method, host: host, port: port, path: path, headers: headers, body: body, client: tls, connectHost: "127.0.0.1", timeout: .seconds(30))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    public func send(_ method: String, _ path: String, json: some Encodable, authorization: String? = nil) async throws -> Reply {
        try await send(method, path, body: String(decoding: try JSONEncoder().encode(json), as: UTF8.self), authorization: authorization)
    }

    public var agentAuthorization: String { "ApiKey \(apiKey)" }

    /// Enrolls with `token`; on success this client holds the agent's id and key.
    public mutating func enroll(token: String, id: String? = nil, replaceToken: String? = nil, tags: [String] = []) async throws -> Reply {
        let request = EnrollRequest(
            id: id, type: "PERMANENT", replaceToken: replaceToken,
            metadata: EnrollMetadata(local: ["elastic": ["agent": ["id": "", "version": "9.1.0"]], "host": ["hostname": "test-host"]], tags: tags)
        )
        let reply = try await send("POST", "/api/fleet/agents/enroll", json: request, authorization: "ApiKey \(token)")
        if reply.status == 200 {
            let item = try reply.decode(EnrollResponse.self).item
            agentId = item.id
            apiKey = item.accessAPIKey
        }
        return reply
    }

    public func checkin(ackToken: String? = nil, policyRevision: Int? = nil, policyId: String? = nil, status: String = "online") async throws -> Reply {
        let request = CheckinRequest(
            status: status, message: "running", ackToken: ackToken, pollTimeout: nil,
            agentPolicyID: policyId, policyRevisionIdx: policyRevision.map(Int64.init)
        )
        return try await send("POST", "/api/fleet/agents/\(agentId)/checkin", json: request, authorization: agentAuthorization)
    }

    public func ack(_ actions: [Action], error: String? = nil) async throws -> Reply {
        let events = actions.map {
            AckEvent(agentID: agentId, actionID: $0.id, message: "done", timestamp: RFC3339.string(from: Date()), error: error)
        }
        return try await send("POST", "/api/fleet/agents/\(agentId)/acks", json: AckRequest(events: events), authorization: agentAuthorization)
    }
}
