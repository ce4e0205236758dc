import FleetProtocol
import FleetServer
import FleetStore
import Foundation
import TestSupport
import Testing

/// The agent protocol end to end over real TLS: enroll, check in, receive the policy, ack, wait for changes.
@Suite(.timeLimit(.minutes(5))) struct AgentProtocolTests {
    func policyChange(_ reply: FleetAgentClient.Reply) throws -> Action? {
        try reply.decode(CheckinResponse.self).actions?.first { $0.type == "POLICY_CHANGE" }
    }

    @Test func enrolledAgentReceivesItsFullPolicyAndAcksIt() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let first = try await agent.checkin()
        #expect(first.status == 200, "\(first.body)")
        let action = try #require(try policyChange(first))
        #expect(action.agentID == agent.agentId)
        let policy = try #require(action.policy)
        #expect(policy["id"]?.stringValue == StoreSetup.defaultPolicyId)
        #expect(policy["revision"]?.intValue == 1)
        #expect(policy["outputs"]?["default"]?["type"]?.stringValue == "elasticsearch")
        #expect(policy["inputs"]?.arrayValue != nil)
        #expect(policy["fleet"]?["hosts"]?[0]?.stringValue == "https://localhost:8220")
        #expect(policy["fleet"]?["ssl"] != nil)

        let acked = try await agent.ack([action])
        #expect(acked.status == 200)
        let ackReply = try acked.decode(AckResponse.self)
        #expect(ackReply.items?.map(\.status) == [200])
        #expect(ackReply.errors != true)
        let stored = try await fleet.store.results(actionId: action.id)
        #expect(stored.map(\.agentId) == [agent.agentId])
    }

    @Test func newPolicyRevisionWakesAWaitingAgent() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        async let waiting = agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await fleet.waitForWaitingCheckins(1))

        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://es.example:9200"]}},"inputs":[{"type":"system/metrics"}]}"#
        // No timing here: how fast a change fans out is the fleet simulator's measurement.
        try await fleet.store.savePolicy(policy)
        let reply = try await waiting
        let changed = try #require(try policyChange(reply)?.policy)
        #expect(changed["revision"]?.intValue == 2)
        #expect(changed["inputs"]?[0]?["type"]?.stringValue == "system/metrics")
    }

    @Test func onePolicyChangeReachesEveryWaitingAgentAddressedToEach() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        var agents: [FleetAgentClient] = []
        for _ in 0..<20 { agents.append(try await fleet.enrolledAgent()) }
        // Half echo an ack token, half send none: the cached response has a form for each.
        let waiting = agents.enumerated().map { index, agent in
            Task { try await agent.checkin(ackToken: index.isMultiple(of: 2) ? "7" : nil, policyRevision: 1, policyId: StoreSetup.defaultPolicyId) }
        }
        #expect(await fleet.waitForWaitingCheckins(agents.count))
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://es.example:9200"]}},"inputs":[{"type":"logfile"}]}"#
        try await fleet.store.savePolicy(policy)
        for (index, agent) in agents.enumerated() {
            let reply = try await waiting[index].value
            let response = try reply.decode(CheckinResponse.self)
            #expect(response.ackToken == (index.isMultiple(of: 2) ? "7" : nil))
            let action = try #require(response.actions?.first)
            #expect(response.actions?.count == 1)
            #expect(action.agentID == agent.agentId)
            #expect(action.id == "policy:\(StoreSetup.defaultPolicyId):2")
            #expect(action.policy?["revision"]?.intValue == 2)
            #expect(action.policy?["inputs"]?[0]?["type"]?.stringValue == "logfile")
        }
    }

    @Test func anActionPostedWithAPolicyChangeIsNotLost() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        async let waiting = agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await fleet.waitForWaitingCheckins(1))
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"inputs":[{"type":"logfile"}]}"#
        try await fleet.store.savePolicy(policy)
        _ = try await fleet.store.addAction(ActionRecord(id: "settings-1", type: "SETTINGS", agentIds: [agent.agentId]))
        // The policy may come alone (the action follows on the next check-in) or with the action: never without it.
        let first = try await waiting.decode(CheckinResponse.self)
        var types = first.actions?.map { $0.type } ?? []
        if !types.contains("SETTINGS") {
            let next = try await agent.checkin(ackToken: first.ackToken, policyRevision: 2, policyId: StoreSetup.defaultPolicyId)
            types += try next.decode(CheckinResponse.self).actions?.map { $0.type } ?? []
        }
        #expect(types == ["POLICY_CHANGE", "SETTINGS"])
    }

    @Test func anActionWakesOnlyItsAgentAndTheAckTokenResumesAfterIt() async throws {
        let fleet = try await TestFleetServer.start { $0.pollTimeoutSeconds = 2; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0 }
        defer { Task { await fleet.stop() } }
        let first = try await fleet.enrolledAgent()
        let second = try await fleet.enrolledAgent()
        async let firstReply = first.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        async let secondReply = second.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await fleet.waitForWaitingCheckins(2))

        _ = try await fleet.store.addAction(ActionRecord(id: "settings-1", type: "SETTINGS", agentIds: [first.agentId], data: #"{"log_level":"debug"}"#))
        let woken = try await firstReply.decode(CheckinResponse.self)
        #expect(woken.actions?.map(\.id) == ["settings-1"])
        #expect(woken.actions?.first?.data["log_level"]?.stringValue == "debug")
        // The other agent was not woken: its check-in is still parked in the hub.
        #expect(fleet.server.waitingCheckins == 1)
        #expect(try await secondReply.decode(CheckinResponse.self).actions?.isEmpty == true)

        let ackToken = try #require(woken.ackToken)
        let resumed = try await first.checkin(ackToken: ackToken, policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        let nothingNew = try resumed.decode(CheckinResponse.self)
        #expect(nothingNew.actions?.isEmpty == true)
        #expect(nothingNew.ackToken == ackToken)
    }

    @Test func unenrollActionStopsTheAgentAndItsKeyIsRefusedAfterTheAck() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        _ = try await fleet.store.addAction(ActionRecord(id: "unenroll-1", type: "UNENROLL", agentIds: [agent.agentId]))
        let reply = try await agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId).decode(CheckinResponse.self)
        let unenroll = try #require(reply.actions?.first { $0.type == "UNENROLL" })
        #expect(try await agent.ack([unenroll]).status == 200)
        let refused = try await agent.checkin()
        #expect(refused.status == 401)
        #expect(refused.json?["message"]?.stringValue?.contains("revoked") == true)
        #expect(try await fleet.store.agent(id: agent.agentId)?.unenrolledAt != nil)
    }

    @Test func revokedKeyIsRefusedOnTheNextRequest() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        #expect(try await agent.checkin().status == 200)
        try await fleet.store.revokeAgentKey(agentId: agent.agentId)
        let refused = try await agent.checkin()
        #expect(refused.status == 401)
        #expect(refused.json?["error"]?.stringValue == "Unauthorized")
    }

    @Test func auditUnenrollMarksTheAgentUninstalled() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let reply = try await agent.send("POST", "/api/fleet/agents/\(agent.agentId)/audit/unenroll", json: AuditUnenrollRequest(reason: .uninstall, timestamp: RFC3339.string(from: Date())), authorization: agent.agentAuthorization)
        #expect(reply.status == 200)
        let record = try #require(try await fleet.store.agent(id: agent.agentId))
        #expect(record.lastStatus == "unenrolled")
        #expect(try await agent.checkin().status == 401)
    }

    @Test func checkinBookkeepingIsWrittenInBatches() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        _ = try await agent.checkin(status: "degraded")
        let record = try await fleet.store.waitForAgent { $0.id == agent.agentId && $0.lastCheckinAt != nil }
        #expect(record?.lastStatus == "degraded")
        #expect(record?.lastMessage == "running")
    }

    @Test func reEnrollingWithTheReplaceTokenKeepsTheAgentAndRetiresTheOldKey() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        var first = try fleet.client()
        #expect(try await first.enroll(token: fleet.enrollmentToken, id: "host-42", replaceToken: "replace-secret").status == 200)
        var second = try fleet.client()
        let withoutToken = try await second.enroll(token: fleet.enrollmentToken, id: "host-42")
        #expect(withoutToken.status == 403)
        #expect(try await second.enroll(token: fleet.enrollmentToken, id: "host-42", replaceToken: "replace-secret").status == 200)
        #expect(second.agentId == "host-42")
        #expect(try await first.checkin().status == 401)
        #expect(try await second.checkin().status == 200)
        #expect(try await fleet.store.agents().count == 1)
    }

    @Test func clientCertificateIsRecordedOnTheAgent() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .optional)
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent(mutual: true)
        let record = try #require(try await fleet.store.agent(id: agent.agentId))
        #expect(record.certificateSubject == "flotilla-agent")
        let fingerprint = try TLSIdentityFingerprint.of(CertificateFixtures.shared.agentCert)
        #expect(record.certificateFingerprint == fingerprint)
        let anonymous = try await fleet.enrolledAgent()
        #expect(try await fleet.store.agent(id: anonymous.agentId)?.certificateSubject == nil)
    }
}
