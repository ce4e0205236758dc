import FleetProtocol
import FleetServer
import FleetStore
import Foundation
import TestSupport
import Testing

/// Every error an agent can meet, in the contract's `{"statusCode","error","message"}` shape.
@Suite(.timeLimit(.minutes(5))) struct AgentAPIErrorTests {
    func expectError(_ reply: FleetAgentClient.Reply, _ status: Int, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.body)", sourceLocation: sourceLocation)
        #expect(reply.json?["statusCode"]?.intValue == status, sourceLocation: sourceLocation)
        #expect(reply.json?["error"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(reply.json?["message"]?.stringValue?.contains(message) == true, "\(reply.body)", sourceLocation: sourceLocation)
    }

    @Test func malformedJSONAndMissingFieldsAre400NamingTheField() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let path = "/api/fleet/agents/\(agent.agentId)/checkin"
        expectError(try await agent.send("POST", path, body: "{not json", authorization: agent.agentAuthorization), 400, "not valid JSON")
        expectError(try await agent.send("POST", path, body: #"{"message":"x"}"#, authorization: agent.agentAuthorization), 400, "missing the field status")
        expectError(try await agent.send("POST", path, body: #"{"status":"sleeping","message":""}"#, authorization: agent.agentAuthorization), 400, "status must be one of")
        expectError(try await agent.send("POST", path, body: #"{"status":"online","message":"","ack_token":"zz"}"#, authorization: agent.agentAuthorization), 400, "ack_token")
        let enroll = try await agent.send("POST", "/api/fleet/agents/enroll", body: #"{"type":"PERMANENT"}"#, authorization: "ApiKey \(fleet.enrollmentToken)")
        expectError(enroll, 400, "missing the field metadata")
        let badType = try await agent.send("POST", "/api/fleet/agents/enroll", body: #"{"type":"TEMPORARY","metadata":{"local":{},"user_provided":{}}}"#, authorization: "ApiKey \(fleet.enrollmentToken)")
        expectError(badType, 400, "PERMANENT or EPHEMERAL")
    }

    @Test func missingBadAndRevokedKeysAre401() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let path = "/api/fleet/agents/\(agent.agentId)/checkin"
        let body = #"{"status":"online","message":""}"#
        expectError(try await agent.send("POST", path, body: body), 401, "Authorization header is missing")
        expectError(try await agent.send("POST", path, body: body, authorization: "Bearer abc"), 401, "must be ApiKey")
        expectError(try await agent.send("POST", path, body: body, authorization: "ApiKey bm90OmEta2V5"), 401, "not valid")
        expectError(try await agent.send("POST", "/api/fleet/agents/enroll", body: "{}", authorization: "ApiKey not-a-token"), 401, "enrollment token is not valid")
        try await fleet.store.revokeAgentKey(agentId: agent.agentId)
        expectError(try await agent.checkin(), 401, "revoked")
    }

    @Test func anotherAgentsIdIs403AndAnUnknownOneIs404() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let first = try await fleet.enrolledAgent()
        let second = try await fleet.enrolledAgent()
        let body = #"{"status":"online","message":""}"#
        expectError(try await first.send("POST", "/api/fleet/agents/\(second.agentId)/checkin", body: body, authorization: first.agentAuthorization), 403, "another agent")
        expectError(try await first.send("POST", "/api/fleet/agents/no-such-agent/checkin", body: body, authorization: first.agentAuthorization), 404, "no-such-agent")
    }

    @Test func bodiesOverOneMebibyteAre413() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let huge = #"{"status":"online","message":""# + String(repeating: "x", count: 1_100_000) + #""}"#
        let reply = try await agent.send("POST", "/api/fleet/agents/\(agent.agentId)/checkin", body: huge, authorization: agent.agentAuthorization)
        expectError(reply, 413, "1 MiB")
    }

    @Test func enrollmentOverItsLimitIs429WithRetryAfter() async throws {
        let fleet = try await TestFleetServer.start { $0.enrollRate = 0.01; $0.enrollBurst = 1 }
        defer { Task { await fleet.stop() } }
        _ = try await fleet.enrolledAgent()
        var client = try fleet.client()
        let reply = try await client.enroll(token: fleet.enrollmentToken)
        expectError(reply, 429, "retry in")
        #expect(Int(reply.headers["retry-after"] ?? "") ?? 0 >= 1)
    }

    @Test func revokedExpiredAndUsedUpEnrollmentTokensAre401() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let once = try await StoreSetup.createEnrollmentToken(fleet.store, policyId: StoreSetup.defaultPolicyId, name: "once", maxUses: 1)
        var client = try fleet.client()
        #expect(try await client.enroll(token: once.secret).status == 200)
        expectError(try await client.enroll(token: once.secret), 401, "no uses left")

        let expired = try await StoreSetup.createEnrollmentToken(fleet.store, policyId: StoreSetup.defaultPolicyId, name: "old", expiresAt: Date().addingTimeInterval(-60))
        expectError(try await client.enroll(token: expired.secret), 401, "expired")

        let revoked = try await StoreSetup.createEnrollmentToken(fleet.store, policyId: StoreSetup.defaultPolicyId, name: "gone")
        #expect(try await fleet.store.revokeEnrollmentToken(id: revoked.record.id))
        expectError(try await client.enroll(token: revoked.secret), 401, "revoked")
    }

    @Test func unknownRoutesAnswerInTheSameShape() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let client = try fleet.client()
        let reply = try await client.send("GET", "/api/fleet/nothing-here")
        #expect(reply.status == 404)
        #expect(reply.json?["statusCode"]?.intValue == 404)
    }

    @Test func statusIsHealthyWithVersionOnlyForAgentsAndDegradedWithoutStore() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        let anonymous = try await agent.send("GET", "/api/status")
        #expect(anonymous.status == 200)
        #expect(anonymous.json?["status"]?.stringValue == "HEALTHY")
        #expect(anonymous.json?["name"]?.stringValue == "fleet-server")
        #expect(anonymous.json?["version"] == nil)
        let authorized = try await agent.send("GET", "/api/status", authorization: agent.agentAuthorization)
        #expect(authorized.json?["version"]?["number"]?.stringValue == FleetServer.AgentAPIVersion)

        try await fleet.store.close()
        let degraded = try await agent.send("GET", "/api/status")
        #expect(degraded.status == 503)
        #expect(degraded.json?["status"]?.stringValue == "DEGRADED")
    }

    @Test func storeFailureIs503WithRetryAfter() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let agent = try await fleet.enrolledAgent()
        try await fleet.store.close()
        let reply = try await agent.checkin()
        expectError(reply, 503, "cannot reach its store")
        #expect(reply.headers["retry-after"] == "5")
    }
}
