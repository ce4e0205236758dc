import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension AgentAPI {
    /// `POST /api/fleet/agents/{id}/acks`: records each action's result, with a status per event.
    func acks(_ request: Request, context: FleetRequestContext) async throws -> Response {
        try await gate.admitted("acknowledgement") { try await recordAcks(request, context: context) }
    }

    func recordAcks(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context)
        let body = try await request.decodeJSON(AckRequest.self, context: context)
        var items: [AckResponseItem] = []
        var results: [ActionResultRecord] = []
        var unenrolled = false
        var appliedRevision: Int?
        for event in body.events {
            guard event.agentID == agent.id else {
                items.append(AckResponseItem(status: 400, message: "The event names agent \(event.agentID), not \(agent.id)"))
                continue
            }
            if let policy = PolicyBuilder.revision(fromActionId: event.actionID) {
                if policy.policyId == agent.policyId, !event.isFailure {
                    appliedRevision = max(appliedRevision ?? 0, policy.revision)
                }
            } else if !event.isFailure, !unenrolled, try await store.action(id: event.actionID)?.type == ActionType.unenroll.rawValue {
                // Only stored actions are looked up: POLICY_CHANGE ids are made from the policy, never stored.
                unenrolled = true
            }
            results.append(ActionResultRecord(
                actionId: event.actionID, agentId: agent.id, error: event.error ?? "",
                payload: String(decoding: (try? (event.payload ?? .object([:])).jsonData()) ?? Data("{}".utf8), as: UTF8.self)
            ))
            items.append(AckResponseItem(status: 200, message: "OK"))
        }
        try await store.recordResults(results)
        // In the store, not in this process: the agent's next check-in may reach another Fleet Server.
        if let appliedRevision {
            try await store.recordPolicyAcknowledged(agentId: agent.id, policyId: agent.policyId, revision: appliedRevision)
        }
        if unenrolled {
            try await store.markUnenrolled(agentId: agent.id, at: Date())
            logger.info("Agent acknowledged its unenrollment; its key is revoked", metadata: ["agent": "\(agent.id)"])
        }
        return try .json(AckResponse(results: items))
    }

    /// `POST /api/fleet/agents/{id}/audit/unenroll`: the agent says it was uninstalled.
    func auditUnenroll(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context)
        let body = try await request.decodeJSON(AuditUnenrollRequest.self, context: context)
        try await store.markUnenrolled(agentId: agent.id, at: RFC3339.date(from: body.timestamp) ?? Date())
        logger.info("Agent reported it was uninstalled", metadata: ["agent": "\(agent.id)", "reason": "\(body.reason)"])
        return try .json([String: String]())
    }
}
