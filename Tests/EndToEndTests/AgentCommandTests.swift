import FleetAgent
import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The agent's commands as real processes: the seed's mutual-TLS install, run, kill -9 and restart, status,
/// uninstall, each validation failure, and the quickstart.
@Suite(.timeLimit(.minutes(5))) struct AgentCommandTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    /// Polls the server's store until `condition` holds for the agent (bookkeeping is batched).
    func waitForAgent(_ server: RunningServer, _ id: String, _ condition: (AgentRecord) -> Bool) async throws -> AgentRecord? {
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        defer { Task { try? await store.close() } }
        return try await store.waitForAgent { $0.id == id && condition($0) }
    }

    @Test func seedsMutualInstallRunsReceivesItsPolicyAndSurvivesKillNine() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let base = server.directory.file("agent")
        let installed = try await flotilla(["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.stdout.contains("start the agent with"))

        let status = try await flotilla(["status", "--base-path", base, "--output", "json"])
        let report = try JSONValue(data: Data(status.stdout.utf8))
        let agentId = try #require(report["agent_id"]?.stringValue)
        #expect(report["client_certificate"]?.stringValue == "flotilla-agent")
        #expect(report["tls_verification"]?.stringValue == "full")
        #expect(!status.stdout.contains("ApiKey") && !status.stdout.contains("access"))

        let inspected = try await flotilla(["inspect", "--base-path", base])
        #expect(inspected.status == 0, "\(inspected.output)")
        #expect(inspected.stdout.contains("<redacted>"))
        #expect(inspected.stdout.contains(server.cert("agent-cert.key")))
        let passphrase = try String(contentsOfFile: server.cert("agent-cert.passphrase"), encoding: .utf8)
        #expect(!inspected.stdout.contains(passphrase))
        let vaultText = try String(contentsOfFile: "\(base)/state/state.enc", encoding: .utf8)
        #expect(!vaultText.contains(agentId))
        let sealed = try #require(Data(base64Encoded: vaultText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(sealed.range(of: Data(agentId.utf8)) == nil)

        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        let applied = try await waitForAgent(server, agentId) { $0.policyRevision == 1 && $0.certificateSubject == "flotilla-agent" && $0.lastCheckinAt != nil }
        #expect(applied != nil)
        _ = await agent.terminate(signal: SIGKILL)

        // A restart resumes from the encrypted state: same agent, no second enrollment.
        let seenBefore = try #require(applied?.lastCheckinAt)
        let restarted = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        let again = try await waitForAgent(server, agentId) { ($0.lastCheckinAt ?? .distantPast) > seenBefore }
        #expect(again != nil)
        _ = await restarted.terminate(signal: SIGKILL)
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        #expect(try await store.agents().count == 1)
        try await store.close()

        let uninstalled = try await flotilla(["uninstall", "--base-path", base, "--non-interactive"])
        #expect(uninstalled.status == 0, "\(uninstalled.output)")
        #expect(try await waitForAgent(server, agentId) { $0.unenrolledAt != nil } != nil)
        #expect(!FileManager.default.fileExists(atPath: "\(base)/state/state.enc"))
    }

    @Test func everyInvalidInputIsRefusedBeforeAnythingIsWritten() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let fixtures = CertificateFixtures.shared
        let wrongPassphrase = server.directory.write("wrong.pass", "nope\n")
        let flags = try server.seedAgentFlags()
        func replacing(_ flag: String, with value: String) -> [String] {
            flags.map { $0.hasPrefix("--\(flag)=") ? "--\(flag)=\(value)" : $0 }
        }
        let cases: [([String], [String])] = [
            (replacing("elastic-agent-cert", with: server.cert("missing.crt")), ["does not exist", server.cert("missing.crt"), "--elastic-agent-cert"]),
            (replacing("certificate-authorities", with: server.cert("missing-ca.crt")), ["does not exist", server.cert("missing-ca.crt"), "--certificate-authorities"]),
            (replacing("elastic-agent-cert-key-passphrase", with: server.cert("missing.pass")), ["does not exist", server.cert("missing.pass"), "--elastic-agent-cert-key-passphrase"]),
            (flags + ["--header=X-Tenant=blue\r\nX-Injected: 1"], ["--header", "line break"]),
            (flags + ["--proxy-url=http://127.0.0.1:1", "--proxy-header=X-Tenant=a\nb"], ["--proxy-header", "line break"]),
            (replacing("elastic-agent-cert-key-passphrase", with: wrongPassphrase), ["does not open", wrongPassphrase]),
            (replacing("elastic-agent-cert-key", with: server.cert("es-cert.key")), ["does not match", server.cert("es-cert.key")]),
            (replacing("elastic-agent-cert", with: server.cert("fleet-cert.crt")) .map { $0.hasPrefix("--elastic-agent-cert-key=") ? "--elastic-agent-cert-key=\(server.cert("fleet-cert.key"))" : $0 }.filter { !$0.hasPrefix("--elastic-agent-cert-key-passphrase") }, ["not a client certificate"]),
            (flags + ["--insecure"], ["--insecure cannot be combined"]),
            (flags.filter { !$0.hasPrefix("--elastic-agent-cert-key=") }, ["go together"]),
            (replacing("certificate-authorities", with: fixtures.path("rogue-ca.crt")), ["Refused the Fleet Server", "not among the trusted CAs (Rogue CA)"]),
            (replacing("enrollment-token", with: "not-a-token"), ["refused the enrollment token"]),
            (replacing("url", with: "http://localhost:\(server.port)"), ["not an https:// URL"]),
        ]
        try await expectInstallRefused(cases, in: server.directory)
    }
}
