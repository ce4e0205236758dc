import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Several Fleet Servers on one PostgreSQL serve one fleet; a PostgreSQL outage degrades them and they recover
/// without a restart, losing nothing.
@Suite(.timeLimit(.minutes(5))) struct PostgresFleetTests {
    func policyRevision(_ reply: FleetAgentClient.Reply) throws -> Int? {
        try reply.decode(CheckinResponse.self).actions?.first { $0.type == "POLICY_CHANGE" }?.policy?["revision"]?.intValue
    }

    /// An agent enrolled on `fleet`, with its first policy applied and acknowledged.
    func onlineAgent(_ fleet: TestFleetServer) async throws -> FleetAgentClient {
        let agent = try await fleet.enrolledAgent()
        let first = try await agent.checkin()
        let actions = try first.decode(CheckinResponse.self).actions ?? []
        #expect(try await agent.ack(actions).status == 200)
        return agent
    }

    /// The console's `es_*` fields reach the Fleet Server's store link: a link that does not work is tried and
    /// refused (the working one stays, DEGRADED says so), a good one replaces it without a restart.
    @Test(.timeLimit(.minutes(2))) func pushedStoreLinkSettingsAreTriedBeforeTheyReplaceTheWorkingLink() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let secrets = try await pg.initializeStore(database: database)
        // Short polls: each check-in of the test ends within a second.
        let fleet = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets)) {
            $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0
        }
        defer { Task { await fleet.stop() } }
        func push(storeCA: String) async throws {
            var policy = try #require(try await fleet.store.policy(id: StoreSetup.fleetServerPolicyId))
            let body: JSONValue = ["inputs": [["type": "fleet-server", "server": ["store": ["ssl": ["certificate_authorities": [.string(storeCA)]]]]]]]
            policy.body = String(decoding: try body.jsonData(), as: UTF8.self)
            try await fleet.store.savePolicy(policy)
        }
        func status() async throws -> String? { try await fleet.client().send("GET", "/api/status").decode(StatusResponse.self).status }
        func eventually(_ wanted: String) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                if try await status() == wanted { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        let agent = try await onlineAgent(fleet)
        try await push(storeCA: CertificateFixtures.shared.agentCA)
        #expect(try await eventually("DEGRADED"))
        #expect(try await agent.checkin().status == 200)
        try await push(storeCA: pg.cert("es-ca.crt"))
        #expect(try await eventually("HEALTHY"))
        #expect(try await agent.checkin().status == 200)
    }

    @Test func aChangeWrittenThroughOneFleetServerReachesAgentsWaitingOnAnother() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let secrets = try await pg.initializeStore(database: database)
        // The one-way link (password) for one server, the mutual link (client certificate) for the other.
        let east = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets))
        let west = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets, certificateRole: true))
        defer { Task { await east.stop(); await west.stop() } }

        let onEast = try await onlineAgent(east)
        let onWest = try await onlineAgent(west)
        // An agent may check in with any of them: its key is in the shared store.
        var travelling = onEast
        travelling.port = west.port
        #expect(try policyRevision(try await travelling.checkin(policyRevision: 0, policyId: StoreSetup.defaultPolicyId)) == 1)

        async let eastWaiting = onEast.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        async let westWaiting = onWest.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await east.waitForWaitingCheckins(1))
        #expect(await west.waitForWaitingCheckins(1))

        var policy = try #require(try await east.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"inputs":[{"type":"system/metrics"}]}"#
        try await east.store.savePolicy(policy)
        #expect(try policyRevision(try await westWaiting) == 2)
        #expect(try policyRevision(try await eastWaiting) == 2)

        // An action written through the west server wakes the agent parked on the east one.
        async let eastAgain = onEast.checkin(policyRevision: 2, policyId: StoreSetup.defaultPolicyId)
        #expect(await east.waitForWaitingCheckins(1))
        _ = try await west.store.addAction(ActionRecord(id: "settings-1", type: "SETTINGS", agentIds: [onEast.agentId]))
        #expect(try await eastAgain.decode(CheckinResponse.self).actions?.map(\.id) == ["settings-1"])
    }

    /// Agents enrolling at once through two Fleet Servers on a one-use token: exactly one gets in, every other one
    /// hears that the token has no uses left, and the store holds one agent.
    @Test(.timeLimit(.minutes(2))) func racingEnrollmentsThroughTwoFleetServersLetOneAgentIn() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let secrets = try await pg.initializeStore(database: database)
        let east = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets))
        let west = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets))
        defer { Task { await east.stop(); await west.stop() } }
        let once = try await StoreSetup.createEnrollmentToken(east.store, policyId: StoreSetup.defaultPolicyId, name: "once", maxUses: 1)
        let before = try await east.store.agents().count
        let replies = try await withThrowingTaskGroup(of: FleetAgentClient.Reply.self) { group in
            for index in 0..<16 {
                var client = try (index.isMultiple(of: 2) ? east : west).client()
                group.addTask { try await client.enroll(token: once.secret) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.filter { $0.status == 200 }.count == 1)
        #expect(replies.filter { $0.status == 401 && $0.body.contains("no uses left") }.count == 15, "\(replies.map(\.status))")
        #expect(try await west.store.agents().count == before + 1)
        #expect(try await west.store.enrollmentTokens().first { $0.id == once.record.id }?.uses == 1)
    }

    /// An agent that does not send `policy_revision_idx` acknowledges a policy through one Fleet Server, then checks
    /// in with another: the other knows it runs that revision and does not send it again.
    @Test(.timeLimit(.minutes(2))) func anAcknowledgementMadeToOneFleetServerIsKnownToAnother() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let secrets = try await pg.initializeStore(database: database)
        let east = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets))
        let west = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets)) {
            $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0
        }
        defer { Task { await east.stop(); await west.stop() } }
        var agent = try await onlineAgent(east)
        agent.port = west.port
        let reply = try await agent.checkin()
        #expect(reply.status == 200)
        #expect(try reply.decode(CheckinResponse.self).actions?.isEmpty == true, "sent again: \(reply.body.prefix(200))")
        // A new revision still reaches it there.
        var policy = try #require(try await east.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"inputs":[{"type":"system/metrics"}]}"#
        try await east.store.savePolicy(policy)
        #expect(try policyRevision(try await agent.checkin()) == 2)
    }

    @Test func anOutageDegradesTheFleetServerWhichRecoversWithoutARestartAndLosesNothing() async throws {
        // Its own PostgreSQL: this test stops it.
        let pg = try await PostgresInstance.start()
        defer { Task { await pg.stop() } }
        let secrets = try await pg.initializeStore(database: "fleet_pw")
        let fleet = try await TestFleetServer.start(store: .postgres(pg, database: "fleet_pw", secrets: secrets))
        defer { Task { await fleet.stop() } }
        let agent = try await onlineAgent(fleet)
        #expect(try await agent.send("GET", "/api/status").status == 200)

        async let waiting = agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await fleet.waitForWaitingCheckins(1))
        try await pg.stopServer()

        // The waiting check-in ends cleanly (nothing new), status says DEGRADED, new requests get 503 with Retry-After.
        let ended = try await waiting
        #expect(ended.status == 200)
        #expect(try ended.decode(CheckinResponse.self).actions?.isEmpty == true)
        let status = try await agent.send("GET", "/api/status")
        #expect(status.status == 503)
        #expect(status.body.contains("DEGRADED"))
        let refused = try await agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] != nil)

        try await pg.startServer()
        var healthy = false
        for _ in 0..<500 where !healthy {
            healthy = try await agent.send("GET", "/api/status").status == 200
            if !healthy { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(healthy)

        // After recovery: the agent is still enrolled, a change reaches it, its acknowledgement is stored, and
        // the server hears of a change written by another process (LISTEN came back).
        async let again = agent.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId)
        #expect(await fleet.waitForWaitingCheckins(1))
        let other = try await pg.openStore(database: "fleet_pw")
        _ = try await other.addAction(ActionRecord(id: "after-outage", type: "SETTINGS", agentIds: [agent.agentId]))
        let woken = try await again.decode(CheckinResponse.self).actions ?? []
        #expect(woken.map(\.id) == ["after-outage"])
        #expect(try await agent.ack(woken).status == 200)
        #expect(try await other.results(actionId: "after-outage").map(\.agentId) == [agent.agentId])
        #expect(try await other.agent(id: agent.agentId)?.unenrolledAt == nil)
        try await other.close()
    }

    @Test func aRevokedServiceTokenStopsTheFleetServerAndKeepsItFromStarting() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let secrets = try await pg.initializeStore(database: database)
        let fleet = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets)) { $0.serviceTokenCheckSeconds = 0.1 }
        defer { Task { await fleet.stop() } }
        let other = try await pg.openStore(database: database)
        #expect(try await other.revokeServiceToken(name: "fleet-server-default"))
        try await other.close()

        let stopped = try #require(await fleet.stoppedWithError() as? FlotillaError)
        #expect(stopped.message.contains("its service token was revoked"), "\(stopped.description)")
        do {
            _ = try await TestFleetServer.start(store: .postgres(pg, database: database, secrets: secrets))
            Issue.record("a Fleet Server started with a revoked service token")
        } catch let error as FlotillaError {
            #expect(error.message.contains("not known to the store") && error.message.contains("revoked"), "\(error.description)")
        }
    }
}
