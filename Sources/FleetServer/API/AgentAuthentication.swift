import FleetStore
import Foundation
import Hummingbird

/// The agent API's authentication: `Authorization: ApiKey base64(id:key)` (the header Elastic's agents send,
/// whatever the contract's security scheme says).
enum AgentAuthentication {
    /// The credential after "ApiKey ", or a 401 that says what is wrong with the header.
    static func credential(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("The Authorization header is missing; send Authorization: ApiKey <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "apikey", !parts[1].isEmpty else {
            throw APIError.unauthorized("The Authorization header must be ApiKey <key>")
        }
        return String(parts[1])
    }

    /// The agent whose access key the request carries. The key is `base64(id:secret)`; only a hash is stored.
    static func agent(_ request: Request, store: any Store) async throws -> AgentRecord {
        let credential = try credential(request)
        guard let decoded = Data(base64Encoded: credential).flatMap({ String(data: $0, encoding: .utf8) }),
              let colon = decoded.firstIndex(of: ":")
        else {
            throw APIError.unauthorized("The API key is not valid")
        }
        let keyId = String(decoded[..<colon]), secret = String(decoded[decoded.index(after: colon)...])
        guard let agent = try await store.agent(apiKeyId: keyId), Secrets.hashesMatch(agent.apiKeyHash, Secrets.hash(secret)) else {
            throw APIError.unauthorized("The API key is not valid")
        }
        guard !agent.apiKeyRevoked else {
            throw APIError.unauthorized("The API key of agent \(agent.id) was revoked; enroll the agent again")
        }
        return agent
    }

    /// The authenticated agent, checked against the agent id in the path: 403 for another agent's id, 404 for none.
    static func agent(_ request: Request, pathId: String, store: any Store) async throws -> AgentRecord {
        let agent = try await agent(request, store: store)
        guard agent.id == pathId else {
            if try await store.agent(id: pathId) == nil {
                throw APIError(.notFound, "No agent \(pathId) is enrolled")
            }
            throw APIError(.forbidden, "This API key belongs to another agent than \(pathId)")
        }
        return agent
    }
}
