import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension ManagementAPI {
    func addEnrollmentKeyRoutes(to api: RouterGroup<ConsoleRequestContext>) {
        api.get("enrollment_api_keys") { _, _ in
            try Self.json(Self.page(try await store.enrollmentTokens().reversed().map { Self.item($0, secret: nil) }))
        }
        api.post("enrollment_api_keys") { request, context in
            let body = try await Self.body(request, context: context)
            let made = try await createEnrollmentKey(body, by: try context.requireIdentity())
            return try Self.json(["item": Self.item(made.record, secret: made.secret), "action": "created"])
        }
        api.post("service_tokens") { request, context in
            let body = try await Self.body(request, context: context, optional: true)
            let name = body["name"]?.stringValue ?? "fleet-server-\(Int(Date().timeIntervalSince1970))"
            guard !name.isEmpty, name.count <= 100, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ConsoleError.badRequest("name: use letters, digits, - _ and ., at most 100")
            }
            guard try await !store.serviceTokens().contains(where: { $0.name == name }) else {
                throw ConsoleError(.conflict, "name: there is already a service token \(name)")
            }
            let made = try await createServiceToken(name: name, by: try context.requireIdentity())
            return try Self.json(["name": .string(made.name), "value": .string(made.secret)])
        }
        api.get("enrollment_api_keys/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let token = try await store.enrollmentTokens().first(where: { $0.id == id }) else { throw ConsoleError.notFound("The enrollment API key \(id)") }
            return try Self.json(["item": Self.item(token, secret: nil)])
        }
        api.delete("enrollment_api_keys/:id") { _, context in
            try await revokeEnrollmentKey(try context.parameters.require("id"), by: try context.requireIdentity())
            return try Self.json(["action": "deleted"])
        }
    }

    /// A new service token for a Fleet Server to present to the store; its secret is in this answer only.
    func createServiceToken(name: String, by identity: ConsoleIdentity) async throws -> (name: String, secret: String) {
        let secret = Secrets.random()
        try await store.addServiceToken(name: name, secretHash: Secrets.hash(secret))
        try await audit(identity, "service_tokens.create", name, detail: "")
        return (name, secret)
    }

    func revokeEnrollmentKey(_ id: String, by identity: ConsoleIdentity) async throws {
        guard try await store.revokeEnrollmentToken(id: id) else { throw ConsoleError.notFound("The enrollment API key \(id)") }
        try await audit(identity, "enrollment_api_keys.revoke", id, detail: "")
    }

    /// Makes a token for a policy; its secret is in this answer only, and the store keeps its hash.
    func createEnrollmentKey(_ body: JSONValue, by identity: ConsoleIdentity) async throws -> (record: EnrollmentTokenRecord, secret: String) {
        guard let policyId = body["policy_id"]?.stringValue else { throw ConsoleError.badRequest("policy_id: the field is required") }
        guard try await store.policy(id: policyId) != nil else { throw ConsoleError.badRequest("policy_id: there is no agent policy \(policyId)") }
        let name = body["name"]?.stringValue ?? "token-\(RFC3339.string(from: Date()))"
        var expiresAt: Date?
        if let expiration = body["expiration"]?.stringValue {
            guard let seconds = parseGoDuration(expiration), seconds > 0 else {
                throw ConsoleError.badRequest("expiration: \(expiration) is not a duration; write it like 24h or 30m")
            }
            guard seconds <= 10 * 366 * 86_400 else {
                throw ConsoleError.badRequest("expiration: \(expiration) is more than ten years; leave it out for a token that never expires")
            }
            expiresAt = Date().addingTimeInterval(seconds)
        }
        let maxUses = body["max_uses"]?.intValue
        if let maxUses, maxUses < 1 { throw ConsoleError.badRequest("max_uses: must be 1 or more") }
        let secret = Secrets.random()
        let record = EnrollmentTokenRecord(
            id: Secrets.identifier(), name: name, policyId: policyId, secretHash: Secrets.hash(secret), expiresAt: expiresAt, maxUses: maxUses
        )
        try await store.createEnrollmentToken(record)
        try await audit(identity, "enrollment_api_keys.create", record.id, detail: "\(name) for \(policyId)")
        return (record, secret)
    }

    /// Kibana's enrollment API key object; `api_key` only when just made.
    static func item(_ token: EnrollmentTokenRecord, secret: String?) -> JSONValue {
        var item: JSONValue = [
            "id": .string(token.id), "api_key_id": .string(token.id), "name": .string(token.name), "policy_id": .string(token.policyId),
            "active": .bool(!token.revoked && (token.expiresAt.map { $0 > Date() } ?? true) && (token.maxUses.map { token.uses < $0 } ?? true)),
            "created_at": .string(RFC3339.string(from: token.createdAt)), "uses": .number(Double(token.uses)),
        ]
        if let secret { item["api_key"] = .string(secret) }
        if let expiresAt = token.expiresAt { item["expires_at"] = .string(RFC3339.string(from: expiresAt)) }
        if let maxUses = token.maxUses { item["max_uses"] = .number(Double(maxUses)) }
        return item
    }
}
