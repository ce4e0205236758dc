import FleetProtocol
import FleetStore
import Foundation
import Hummingbird
import ServiceLifecycle

extension AgentAPI {
    /// `POST /api/fleet/agents/{id}/checkin`: a long poll. It answers as soon as there is a newer policy revision or
    /// an action for the agent, or with nothing new when the poll timeout passes or the server stops.
    func checkin(_ request: Request, context: FleetRequestContext) async throws -> Response {
        do {
            let (response, result) = try await longPoll(request, context: context)
            metrics.checkin(result)
            return response
        } catch {
            metrics.checkin(.init(failure: error))
            throw error
        }
    }

    /// What a check-in found before it waits: the agent, what it said, and the first look's answer.
    struct CheckinStart {
        var agent: AgentRecord
        var ackToken: String?
        var ackedSequence: Int64
        var deadline: Date
        var knownRevision: Int
        /// Registered before the first look; nil when that look found news.
        var ticket: CheckinHub.Ticket?
        var pending: PendingActions
    }

    func longPoll(_ request: Request, context: FleetRequestContext) async throws -> (Response, FleetServerMetrics.CheckinResult) {
        // Reading the agent, its bookkeeping and the first look hold a place at the gate; the wait holds none.
        let start = try await gate.admitted("check-in") { try await beginCheckin(request, context: context) }
        let agent = start.agent
        guard var ticket = start.ticket else {
            return (try start.pending.response(agentId: agent.id, echoing: start.ackToken), .delivered)
        }
        while true {
            let wake = await withGracefulShutdownHandler {
                await ticket.wait()
            } onGracefulShutdown: {
                hub.shutdown()
            }
            if wake == .timeout || wake == .shutdown {
                return (try .json(CheckinResponse(ackToken: start.ackToken, actions: [])), wake == .timeout ? .timeout : .shutdown)
            }
            let (next, pending) = try await look(
                for: agent, after: start.ackedSequence, knownRevision: start.knownRevision, deadline: start.deadline,
                readActions: wake == .changed
            )
            guard let next else {
                if wake == .policyChanged, let woken = hub.policyChangedAt(agent.policyId) {
                    metrics.fanOut.record(ContinuousClock.now - woken)
                }
                return (try pending.response(agentId: agent.id, echoing: start.ackToken), .delivered)
            }
            ticket = next
        }
    }

    /// Registers a ticket, then looks for news: a change committed in between fires the ticket and is not lost.
    /// Returns the ticket to wait on, or nil (the ticket left the hub) when the look found news.
    func look(
        for agent: AgentRecord, after sequence: Int64, knownRevision: Int, deadline: Date, readActions: Bool = true
    ) async throws -> (CheckinHub.Ticket?, PendingActions) {
        let ticket = hub.register(agentId: agent.id, policyId: agent.policyId, deadline: deadline)
        let pending: PendingActions
        do {
            pending = try await pendingActions(for: agent, after: sequence, knownRevision: knownRevision, readActions: readActions)
        } catch {
            ticket.cancel()
            throw error
        }
        guard pending.isEmpty else {
            ticket.cancel()
            return (nil, pending)
        }
        return (ticket, pending)
    }

    /// Authenticates the check-in, records its bookkeeping, registers its ticket and looks for news once.
    func beginCheckin(_ request: Request, context: FleetRequestContext) async throws -> CheckinStart {
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
            components: body.components.flatMap { try? $0.jsonData() }.map { String(decoding: $0, as: UTF8.self) },
            upgradeDetails: body.upgradeDetails.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        ))
        let deadline = Date().addingTimeInterval(configuration.pollTimeout(agentPollTimeout: body.pollTimeoutSeconds))
        // An agent that does not say what it runs is taken to run what it last acknowledged (kept in the store).
        let knownRevision = runningRevision ?? agent.policyRevision ?? 0
        let (ticket, pending) = try await look(
            for: agent, after: ackedSequence, knownRevision: knownRevision, deadline: deadline
        )
        return CheckinStart(
            agent: agent, ackToken: body.ackToken, ackedSequence: ackedSequence, deadline: deadline,
            knownRevision: knownRevision, ticket: ticket, pending: pending
        )
    }

    /// What a check-in answers: a newer policy and the stored actions after the agent's ack token.
    struct PendingActions {
        /// The newer policy, when the agent runs an older revision.
        var policy: PolicyCache.Entry?
        var stored: [Action] = []
        /// The sequence of the newest stored action included, as the next ack token.
        var ackToken: String?
        var isEmpty: Bool { policy == nil && stored.isEmpty }

        /// The answer for `agentId`. A policy change alone (a fan-out) is the cached encoding with this agent's id.
        func response(agentId: String, echoing requestAckToken: String?) throws -> Response {
            let ackToken = self.ackToken ?? requestAckToken
            if let policy, stored.isEmpty {
                let template = ackToken == nil ? policy.withoutAckToken : policy.withAckToken
                return .json(encoded: template.render(agentId: agentId, ackToken: ackToken))
            }
            return try .json(CheckinResponse(ackToken: ackToken, actions: (policy.map { [$0.action(for: agentId)] } ?? []) + stored))
        }
    }

    /// A POLICY_CHANGE when the agent runs an older revision, then (when `readActions`) its stored actions newer
    /// than its ack token.
    func pendingActions(
        for agent: AgentRecord, after sequence: Int64, knownRevision: Int, readActions: Bool = true
    ) async throws -> PendingActions {
        var pending = PendingActions()
        if let policy = try await policies.entry(id: agent.policyId), policy.record.revision > knownRevision {
            pending.policy = policy
        }
        guard readActions else { return pending }
        let stored = try await metrics.timeStore { try await store.actions(forAgent: agent.id, after: sequence, now: Date()) }
        pending.stored = stored.map { action in
            Action(
                agentID: agent.id, createdAt: RFC3339.string(from: action.createdAt),
                expiration: action.expiresAt.map { RFC3339.string(from: $0) },
                data: (try? JSONValue(data: Data(action.data.utf8))) ?? .null, id: action.id, type: action.type
            )
        }
        pending.ackToken = stored.last.map { String($0.sequence) }
        return pending
    }
}
