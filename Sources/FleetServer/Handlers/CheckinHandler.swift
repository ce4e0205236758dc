import FleetProtocol
import FleetStore
import Foundation
import Hummingbird
import ServiceLifecycle

extension AgentAPI {
    /// `POST /api/fleet/agents/{id}/checkin`: a long poll. It answers as soon as there is a newer policy revision or
    /// an action for the agent, or with nothing new when the poll timeout passes or the server stops.
    func checkin(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context)
        if let wait = checkinLimiter.take() { throw APIError.tooManyRequests(retryAfter: wait, "check-in") }
        let body = try await request.decodeJSON(CheckinRequest.self, context: context)
        guard CheckinStatus(rawValue: body.status) != nil else {
            throw APIError.badRequest("The field status must be one of \(CheckinStatus.allCases.map(\.rawValue).joined(separator: ", ")), not \(body.status)")
        }
        var ackedSequence: Int64 = 0
        if let token = body.ackToken, !token.isEmpty {
            guard let sequence = Int64(token) else { throw APIError.badRequest("The field ack_token is not one this server issued") }
            ackedSequence = sequence
        }
        let runningRevision = body.agentPolicyID == agent.policyId ? body.policyRevisionIdx.map(Int.init) : nil
        let identity = context.peer
        batcher.record(CheckinRecord(
            agentId: agent.id, at: Date(), status: body.status, message: body.message,
            policyRevision: runningRevision, localMetadata: body.localMetadata.flatMap { try? $0.jsonData() }.map { String(decoding: $0, as: UTF8.self) },
            certificateSubject: identity?.subject, certificateFingerprint: identity?.fingerprint,
            certificateIssuer: identity?.issuer, certificateNotAfter: identity?.notAfter,
            components: body.components.flatMap { try? $0.jsonData() }.map { String(decoding: $0, as: UTF8.self) }
        ))

        let deadline = Date().addingTimeInterval(configuration.pollTimeout(agentPollTimeout: body.pollTimeoutSeconds))
        // An agent that does not say what it runs is taken to run what it last acknowledged (kept in the store).
        let knownRevision = runningRevision ?? agent.policyRevision ?? 0
        while true {
            // Register first, then look: a change committed in between fires the ticket and is not lost.
            let ticket = hub.register(agentId: agent.id, policyId: agent.policyId, deadline: deadline)
            let actions: PendingActions
            do {
                actions = try await pendingActions(for: agent, after: ackedSequence, knownRevision: knownRevision)
            } catch {
                ticket.cancel()
                throw error
            }
            if !actions.isEmpty {
                ticket.cancel()
                return try .json(CheckinResponse(ackToken: actions.ackToken ?? body.ackToken, actions: actions.actions))
            }
            let wake = await withGracefulShutdownHandler {
                await ticket.wait()
            } onGracefulShutdown: {
                hub.shutdown()
            }
            if wake != .changed {
                return try .json(CheckinResponse(ackToken: body.ackToken, actions: []))
            }
        }
    }

    struct PendingActions {
        var actions: [Action]
        /// The sequence of the newest stored action included, as the next ack token.
        var ackToken: String?
        var isEmpty: Bool { actions.isEmpty }
    }

    /// A POLICY_CHANGE when the agent runs an older revision, then its stored actions newer than its ack token.
    func pendingActions(for agent: AgentRecord, after sequence: Int64, knownRevision: Int) async throws -> PendingActions {
        var pending = PendingActions(actions: [])
        let now = Date()
        if let policy = try await store.policy(id: agent.policyId), policy.revision > knownRevision {
            pending.actions.append(.policyChange(
                id: PolicyBuilder.actionId(policyId: policy.id, revision: policy.revision), agentID: agent.id,
                createdAt: RFC3339.string(from: policy.updatedAt), policy: PolicyBuilder.agentPolicy(policy, fleetHosts: configuration.publicURLs)
            ))
        }
        let stored = try await store.actions(forAgent: agent.id, after: sequence, now: now)
        for action in stored {
            pending.actions.append(Action(
                agentID: agent.id, createdAt: RFC3339.string(from: action.createdAt), expiration: action.expiresAt.map { RFC3339.string(from: $0) },
                data: (try? JSONValue(data: Data(action.data.utf8))) ?? .null, id: action.id, type: action.type
            ))
        }
        pending.ackToken = stored.last.map { String($0.sequence) }
        return pending
    }
}
