import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// A full agent CA rotation under a running fleet, driven by `flotilla server ca rotate` as an operator would:
/// every agent stays connected at every phase, agents move onto the new CA, one that was off during the rotation
/// comes back by itself, and a phase rolls back.
@Suite(.timeLimit(.minutes(5))) struct CARotationTests {
    let certs = CertificateFixtures.shared

    struct RunningAgent {
        let vault: AgentVault
        let runner: AgentRunner
        let directory: TemporaryDirectory
        var task: Task<Void, Never>?
    }

    @Test func aRotationUnderARunningFleetLosesNoAgentAndRollsBack() async throws {
        let keys = TemporaryDirectory("rotation-keys")
        defer { keys.remove() }
        // The Fleet Server's agent CA key encrypted by openssl, as an operator keeps it.
        let passphrase = keys.write("agent-ca.passphrase", "rotation-test-passphrase\n")
        let encrypted = keys.file("agent-ca.key")
        let made = try await ProcessRunner.run("openssl", ["pkey", "-in", certs.path("agent-ca.key"), "-aes256", "-passout", "file:\(passphrase)", "-out", encrypted])
        #expect(made.status == 0, "\(made.output)")
        let fleet = try await TestFleetServer.start(clientAuth: .none) { configuration in
            configuration.agentCertificates = AgentCertificateSettings(certificate: certs.agentCA, key: encrypted, keyPassphrasePath: passphrase)
        }
        let storeFlags = ["--fleet-server-es", fleet.directory.file("fleet.sqlite")]
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"inputs":[],"fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}"#
        try await fleet.store.savePolicy(policy)

        // Three running agents, and a fourth enrolled but switched off for the whole rotation.
        var agents: [RunningAgent] = []
        for _ in 0..<4 {
            let directory = TemporaryDirectory("rotation-agent")
            let vault = AgentVault(directory: directory.path)
            try vault.save(try await Enrollment.enroll(
                url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: false),
                options: FleetConnectionOptions(localFleetServerPort: fleet.port)
            ))
            agents.append(RunningAgent(vault: vault, runner: AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 300), directory: directory))
        }
        let late = agents[3]
        let lateTask = LockedBox<Task<Void, Never>?>(nil)
        // Agents stop before the server: a server cancelled while agents still connect drops the connections it
        // accepted but had not begun to serve, which NIO treats as a programming error.
        defer {
            let running = agents.compactMap(\.task) + [lateTask.withLock { $0 }].compactMap { $0 }
            let directories = agents.map(\.directory)
            Task {
                for task in running { task.cancel(); await task.value }
                await fleet.stop()
                for directory in directories { directory.remove() }
            }
        }
        for index in 0..<3 {
            let runner = agents[index].runner
            agents[index].task = Task { await runner.run() }
        }
        #expect(await eventually(within: 60) { fleet.server.waitingCheckins == 3 })

        func status() async throws -> JSONValue {
            let shown = try await flotilla(["server", "ca", "status", "--output", "json"] + storeFlags)
            #expect(shown.status == 0, "\(shown.output)")
            return try JSONValue(data: Data(shown.stdout.utf8))
        }
        func rotate(_ arguments: [String]) async throws -> ProcessResult {
            let result = try await flotilla(["server", "ca", "rotate"] + arguments + storeFlags)
            #expect(result.status == 0, "\(result.output)")
            return result
        }
        /// Every running agent still holds its long poll, and a policy change reaches all of them.
        func everyRunningAgentFollowsAChange(_ step: String, running: Int = 3) async throws {
            #expect(await eventually(within: 60) { fleet.server.waitingCheckins == running }, "\(step): not every agent waits")
            policy.body = #"{"inputs":[],"fleet":{"hosts":["https://localhost:\#(fleet.port)"]},"step":"\#(step)"}"#
            let saved = try await fleet.store.savePolicy(policy)
            for agent in agents.prefix(running) {
                #expect(await eventually(within: 60) { (try? agent.vault.load())?.policyRevision == saved.revision }, "\(step): an agent missed the change")
            }
        }

        // Phase 1: both CAs trusted, the old one issues.
        let newCA = keys.file("agent-ca-2")
        _ = try await rotate(["start", "--agent-ca", certs.agentCA, "--agent-ca-key-passphrase-path", passphrase, "--out", newCA])
        #expect(await fleet.logs.waitForMessage(containing: "Agent CA rotation: phase 1") != nil)
        #expect(try await status()["progress"]?["on_old_ca"]?.intValue == 4)
        try await everyRunningAgentFollowsAChange("trust-both")
        let toPhaseTwo = try await flotilla(["server", "ca", "rotate", "next"] + storeFlags)
        #expect(toPhaseTwo.status == 0, "\(toPhaseTwo.output)")  // phase 1 to 2 waits for nothing

        // Phase 2: the new CA issues; every running agent is told to renew now.
        #expect(await fleet.logs.waitForMessage(containing: "Agent CA rotation: phase 2") != nil)
        let premature = try await flotilla(["server", "ca", "rotate", "next"] + storeFlags)
        #expect(premature.status != 0)
        #expect(premature.output.contains("still on the old CA"), "\(premature.output)")
        _ = try await rotate(["renew-all"])
        #expect(await eventually(within: 60) { (try? await status()["progress"]?["on_new_ca"]?.intValue) == 3 })
        try await everyRunningAgentFollowsAChange("issue-new")
        let renewed = try #require(try agents[0].vault.load()?.issuedCredential)
        let leaf = keys.write("renewed.pem", renewed.certificate)
        let verified = try await ProcessRunner.run("openssl", ["verify", "-CAfile", "\(newCA).crt", leaf])
        #expect(verified.status == 0, "\(verified.output)")

        // Phase 3: only the new CA is trusted. The switched-off agent still holds an old-CA certificate.
        _ = try await rotate(["next", "--force"])
        #expect(await fleet.logs.waitForMessage(containing: "Agent CA rotation: phase 3") != nil)
        try await everyRunningAgentFollowsAChange("retire-old")
        lateTask.withLock { $0 = Task { await late.runner.run() } }
        #expect(await eventually(within: 60) { (try? await status()["progress"]?["on_new_ca"]?.intValue) == 4 })
        #expect(await fleet.logs.waitForMessage(containing: "over its API key alone") != nil)
        try await everyRunningAgentFollowsAChange("the late agent is back", running: 4)

        // Back one phase: both CAs are trusted again, and every agent stays.
        _ = try await rotate(["rollback"])
        #expect(await eventually(within: 30) { fleet.logs.messages.filter { $0.contains("Agent CA rotation: phase 2") }.count == 2 })
        #expect(try await status()["phase"]?.stringValue == "issue-new")
        try await everyRunningAgentFollowsAChange("rolled-back", running: 4)
    }
}
