import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension ManagementAPI {
    func addAgentRoutes(to api: RouterGroup<ConsoleRequestContext>) {
        api.get("agents") { request, _ in
            let query = request.uri.queryParameters
            // Bounded, so no page number can overflow the offset.
            let page = min(max(query.get("page", as: Int.self) ?? 1, 1), 1_000_000)
            let perPage = min(max(query.get("perPage", as: Int.self) ?? 20, 1), 10_000)
            let showInactive = query.get("showInactive") == "true"
            let views = try await agentViews().filter { ($0.record.unenrolledAt == nil || showInactive) && $0.matches(query.get("kuery")) }
            let slice = views.dropFirst((page - 1) * perPage).prefix(perPage)
            return try Self.json(Self.page(slice.map(\.json), page: page, perPage: perPage, total: views.count))
        }
        api.get("agents/:id") { _, context in
            try Self.json(["item": try await agentView(try context.parameters.require("id")).json])
        }
        api.put("agents/:id") { request, context in
            let view = try await agentView(try context.parameters.require("id"))
            let body = try await Self.body(request, context: context)
            guard let tags = body["tags"]?.arrayValue?.compactMap(\.stringValue) else { throw ConsoleError.badRequest("tags: give a list of strings") }
            try await store.assignAgent(id: view.record.id, policyId: view.record.policyId, tags: tags)
            try await audit(try context.requireIdentity(), "agents.update_tags", view.record.id, detail: tags.joined(separator: ", "))
            return try Self.json(["item": try await agentView(view.record.id).json])
        }
        api.post("agents/:id/reassign") { request, context in
            let id = try context.parameters.require("id")
            let body = try await Self.body(request, context: context)
            guard let policyId = body["policy_id"]?.stringValue else { throw ConsoleError.badRequest("policy_id: the field is required") }
            try await reassign(id, to: policyId, by: try context.requireIdentity())
            return try Self.json(.object([:]))
        }
        api.post("agents/:id/unenroll") { request, context in
            let id = try context.parameters.require("id")
            let body = try await Self.body(request, context: context, optional: true)
            try await unenroll(id, revoke: body["revoke"]?.boolValue ?? false || body["force"]?.boolValue ?? false, by: try context.requireIdentity())
            return try Self.json(.object([:]))
        }
        api.get("agent_status") { request, _ in
            let policyId = request.uri.queryParameters.get("policyId")
            let views = try await agentViews().filter { policyId == nil || $0.record.policyId == policyId }
            var counts: [String: Int] = [:]
            for view in views { counts[view.status, default: 0] += 1 }
            let active = views.filter { $0.status != "unenrolled" }.count
            return try Self.json(["results": [
                "total": .number(Double(active)), "online": .number(Double(counts["healthy"] ?? 0)),
                "error": .number(Double(counts["unhealthy"] ?? 0)), "offline": .number(Double(counts["offline"] ?? 0)),
                "updating": .number(Double((counts["updating"] ?? 0) + (counts["enrolling"] ?? 0))),
                "inactive": .number(0), "unenrolled": .number(Double(counts["unenrolled"] ?? 0)),
                "other": .number(0), "events": .number(0),
            ]])
        }
    }

    func agentViews(now: Date = Date()) async throws -> [AgentView] {
        let policies = Dictionary(uniqueKeysWithValues: try await store.policies().map { ($0.id, $0) })
        return try await store.agents().map { AgentView(record: $0, policy: policies[$0.policyId], now: now) }
    }

    func agentView(_ id: String) async throws -> AgentView {
        guard let record = try await store.agent(id: id) else { throw ConsoleError.notFound("The agent \(id)") }
        return AgentView(record: record, policy: try await store.policy(id: record.policyId), now: Date())
    }

    /// Moves an agent to another policy; a POLICY_REASSIGN action wakes its waiting check-in, and the new policy
    /// follows on the next one.
    func reassign(_ id: String, to policyId: String, by identity: ConsoleIdentity) async throws {
        let view = try await agentView(id)
        guard view.record.unenrolledAt == nil else { throw ConsoleError.badRequest("The agent \(id) is unenrolled and cannot be reassigned") }
        guard let policy = try await store.policy(id: policyId) else { throw ConsoleError.badRequest("policy_id: there is no agent policy \(policyId)") }
        try await store.assignAgent(id: id, policyId: policyId, tags: view.record.tags)
        _ = try await store.addAction(ActionRecord(
            id: UUID().uuidString.lowercased(), type: ActionType.policyReassign.rawValue, agentIds: [id],
            data: String(decoding: try JSONValue.object(["policy_id": .string(policyId)]).jsonData(), as: UTF8.self),
            expiresAt: Date().addingTimeInterval(86_400)
        ))
        try await audit(identity, "agents.reassign", id, detail: "to \(policy.name)")
    }

    /// Sends UNENROLL; with `revoke`, also revokes the agent's key now (its next request gets 401).
    func unenroll(_ id: String, revoke: Bool, by identity: ConsoleIdentity) async throws {
        let view = try await agentView(id)
        guard view.record.unenrolledAt == nil else { throw ConsoleError.badRequest("The agent \(id) is already unenrolled") }
        _ = try await store.addAction(ActionRecord(
            id: UUID().uuidString.lowercased(), type: ActionType.unenroll.rawValue, agentIds: [id], expiresAt: Date().addingTimeInterval(86_400 * 14)
        ))
        if revoke { try await store.markUnenrolled(agentId: id, at: Date()) }
        try await audit(identity, "agents.unenroll", id, detail: revoke ? "key revoked" : "")
    }
}
