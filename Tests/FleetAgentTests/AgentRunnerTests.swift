import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The agent against a real Fleet Server over mutual TLS: enrollment, policies, a broken TLS change, unenroll,
/// and a restart that resumes without enrolling again.
@Suite(.timeLimit(.minutes(5))) struct AgentRunnerTests {
    let certs = CertificateFixtures.shared

    func enrolledAgent(_ fleet: TestFleetServer, directory: TemporaryDirectory) async throws -> (AgentRunner, AgentVault) {
        let vault = AgentVault(directory: directory.path)
        let state = try await Enrollment.enroll(
            url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: true),
            tags: ["test"], options: FleetConnectionOptions(localFleetServerPort: fleet.port)
        )
        try vault.save(state)
        return (AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 120), vault)
    }

    /// The policy body with Fleet pointing back at this test server.
    func policyBody(_ fleet: TestFleetServer, ssl: String = "{}", inputs: String = "[]") -> String {
        #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://es:9200"]}},"inputs":\#(inputs),"fleet":{"hosts":["https://localhost:\#(fleet.port)"],"ssl":\#(ssl)}}"#
    }

    @Test func agentReceivesAndAcknowledgesItsPolicyThenAChange() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required)
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = policyBody(fleet)
        try await fleet.store.savePolicy(policy)
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)

        #expect(try await runner.checkinOnce() == .keepRunning)
        let first = try #require(try vault.load())
        #expect(first.policyRevision == 2)
        #expect(try await fleet.store.results(actionId: "policy:default-policy:2").first?.error == "")

        async let waiting = runner.checkinOnce()
        #expect(await fleet.waitForWaitingCheckins(1))
        policy.body = policyBody(fleet, inputs: #"[{"type":"system/metrics"}]"#)
        try await fleet.store.savePolicy(policy)
        #expect(try await waiting == .keepRunning)
        let second = try #require(try vault.load())
        #expect(second.policyRevision == 3)
        #expect(second.policy?["inputs"]?[0]?["type"]?.stringValue == "system/metrics")
    }

    /// The ack token that skips an action is saved together with the action's acknowledgement; an agent killed
    /// before the ack reached Fleet Server (or whose ack request failed) sends it first on its next check-in.
    @Test func anAcknowledgementSavedButNotSentIsSentFirstNextTime() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required) {
            $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0
        }
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)
        #expect(try await runner.checkinOnce() == .keepRunning)
        var state = try #require(try vault.load())
        let action = try await fleet.store.addAction(ActionRecord(id: "settings-7", type: "SETTINGS", agentIds: [state.agentId]))
        // What the vault holds when the agent was killed between saving and acknowledging.
        state.ackToken = String(action.sequence)
        state.pendingAcks = [AckEvent(agentID: state.agentId, actionID: action.id, message: "Failed", timestamp: RFC3339.string(from: Date()), error: "not supported")]
        try vault.save(state)
        #expect(try await fleet.store.results(actionId: action.id).isEmpty)

        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(try await fleet.store.results(actionId: action.id).map(\.agentId) == [state.agentId])
        #expect(try vault.load()?.pendingAcks == nil)
    }

    /// The console pushes the agent's certificate and key as paths; the passphrase of an encrypted key is the
    /// host's own and stays.
    @Test func pushedEncryptedAgentKeyKeepsTheAgentsPassphrase() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required)
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = policyBody(fleet, ssl: #"{"certificate_authorities":["\#(certs.fleetCA)"],"certificate":"\#(certs.agentCert)","key":"\#(certs.agentKey)"}"#)
        let pushed = try await fleet.store.savePolicy(policy)
        #expect(try await runner.checkinOnce() == .keepRunning)
        let state = try #require(try vault.load())
        #expect(state.rejectionReason == nil)
        #expect(state.policyRevision == pushed.revision)
        #expect(state.fleetTLS.keyPassphrasePath == certs.agentPassphrase)
    }

    @Test func brokenFleetTLSChangeLeavesTheAgentConnectedWithItsOldSettings() async throws {
        // Short polls: the last check-in has nothing new to wait for.
        let fleet = try await TestFleetServer.start(clientAuth: .required) { $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0 }
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)
        #expect(try await runner.checkinOnce() == .keepRunning)
        let before = try #require(try vault.load())

        // A policy that tells agents to trust only a CA that did not sign the Fleet Server's certificate.
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = policyBody(fleet, ssl: #"{"certificate_authorities":["\#(certs.path("rogue-ca.crt"))"]}"#)
        let broken = try await fleet.store.savePolicy(policy)
        #expect(try await runner.checkinOnce() == .keepRunning)
        let after = try #require(try vault.load())
        #expect(after.fleetTLS == before.fleetTLS)
        #expect(after.policyRevision == before.policyRevision)
        let result = try #require(try await fleet.store.results(actionId: "policy:default-policy:\(broken.revision)").first)
        #expect(result.error.contains("not applied"))
        #expect(result.error.contains("Rogue CA"))

        // Still connected with the old settings, reporting why it is degraded, and not sent the refused revision again.
        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(try vault.load()?.rejectedPolicyRevision == broken.revision)
        let record = try await fleet.store.waitForAgent { $0.id == after.agentId && $0.lastStatus == "degraded" }
        #expect(record?.lastStatus == "degraded")
        #expect(record?.lastMessage?.contains("was not applied") == true)
    }

    @Test func unenrollStopsTheAgentAndClearsItsKey() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required)
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)
        #expect(try await runner.checkinOnce() == .keepRunning)
        let agentId = try #require(try vault.load()).agentId
        _ = try await fleet.store.addAction(ActionRecord(id: "unenroll-1", type: "UNENROLL", agentIds: [agentId]))
        #expect(try await runner.checkinOnce() == .unenrolled)
        let state = try #require(try vault.load())
        #expect(state.unenrolled)
        #expect(state.accessAPIKey.isEmpty)
        #expect(try await fleet.store.agent(id: agentId)?.apiKeyRevoked == true)
        #expect(try await runner.checkinOnce() == .unenrolled)
    }

    @Test func restartedAgentResumesWithoutEnrollingAgain() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required)
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (runner, vault) = try await enrolledAgent(fleet, directory: directory)
        #expect(try await runner.checkinOnce() == .keepRunning)
        let agentId = try #require(try vault.load()).agentId

        // A new process: only the vault on disk carries over.
        let restarted = AgentRunner(vault: AgentVault(directory: directory.path), logger: Logger(label: "agent"), pollTimeout: 120)
        _ = try await fleet.store.addAction(ActionRecord(id: "settings-1", type: "SETTINGS", agentIds: [agentId]))
        #expect(try await restarted.checkinOnce() == .keepRunning)
        #expect(try await fleet.store.agents().count == 1)
        #expect(try await fleet.store.results(actionId: "settings-1").first?.agentId == agentId)
    }
}
