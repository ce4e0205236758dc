import FleetProtocol
import Foundation
import Hummingbird

extension WebUI {
    func addTokenPages(to router: Router<ConsoleRequestContext>) {
        router.get("enrollment-tokens") { _, context in try await tokensPage(context: context) }
        router.post("enrollment-tokens") { request, context in
            let form = try await Self.formBody(request, context: context)
            var body: JSONValue = ["policy_id": .string(form.text("policy_id") ?? "")]
            if let name = form.text("name") { body["name"] = .string(name) }
            if let expiration = form.text("expiration") { body["expiration"] = .string(expiration) }
            if let uses = form.text("max_uses") {
                guard let count = Int(uses) else { return try await tokensPage(context: context, error: "Uses: give a whole number, or leave it empty for no limit.") }
                body["max_uses"] = .number(Double(count))
            }
            do {
                let made = try await api.createEnrollmentKey(body, by: try context.requireIdentity())
                return try await tokensPage(context: context, secret: (made.record.name, made.secret))
            } catch let error as ConsoleError {
                return try await tokensPage(context: context, error: error.message)
            }
        }
        router.post("enrollment-tokens/:id/revoke") { _, context in
            try await api.revokeEnrollmentKey(try context.parameters.require("id"), by: try context.requireIdentity())
            return Self.redirect("/enrollment-tokens", flash: "The token was revoked.")
        }
    }

    func tokensPage(context: ConsoleRequestContext, secret: (name: String, value: String)? = nil, error: String? = nil) async throws -> Response {
        let policies = try await api.store.policies()
        let names = Dictionary(uniqueKeysWithValues: policies.map { ($0.id, $0.name) })
        var values: [String: Any] = [
            "tokens": try await api.store.enrollmentTokens().reversed().map { token in
                let item = ManagementAPI.item(token, secret: nil)
                return [
                    "id": token.id, "name": token.name, "policyName": names[token.policyId] ?? token.policyId, "created": Self.day(token.createdAt),
                    "uses": token.maxUses.map { "\(token.uses) of \($0)" } ?? "\(token.uses)", "expires": Self.day(token.expiresAt),
                    "active": item["active"]?.boolValue ?? false,
                ] as [String: Any]
            },
            "policyOptions": policies.map { ["id": $0.id, "name": $0.name] }, "nav": ["tokens": true],
        ]
        if let secret { values["secret"] = secret.value; values["secretName"] = secret.name }
        if let error { values["error"] = error }
        return try await page("tokens", title: "Enrollment tokens", values, context: context, status: error == nil ? .ok : .badRequest)
    }
}
