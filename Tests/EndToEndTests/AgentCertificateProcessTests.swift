import FleetProtocol
import FleetStore
import Foundation
import TestSupport
import Testing

/// Issued agent certificates with real processes: `flotilla server --agent-ca`, an agent enrolled with the Fleet CA
/// only, which gets its certificate, renews it while running, comes back after it expired while stopped, and is
/// cut off when revoked; `flotilla status` and `flotilla server certs list` show it.
@Suite(.timeLimit(.minutes(5))) struct AgentCertificateProcessTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    func status(_ base: String) async throws -> JSONValue {
        let status = try await flotilla(["status", "--base-path", base, "--output", "json"])
        return try JSONValue(data: Data(status.stdout.utf8))
    }

    @Test func anAgentIsIssuedItsCertificateRenewsItComesBackAfterExpiryAndIsCutOffWhenRevoked() async throws {
        let server = try await RunningServer(clientAuth: "none", extraArguments: [
            "--agent-ca", "{certs}/agent-ca.crt", "--agent-ca-key", "{certs}/agent-ca.key",
            "--agent-certificate-validity", "18s", "--agent-certificate-renewal-grace", "10m",
        ])
        defer { Task { await server.stop() } }
        let base = server.directory.file("agent")
        let enrolled = try await flotilla([
            "enroll", "--url=https://localhost:\(server.port)", "--enrollment-token=\(try server.enrollmentToken)",
            "--certificate-authorities=\(server.cert("fleet-ca.crt"))", "--base-path", base,
        ])
        #expect(enrolled.status == 0, "\(enrolled.output)")
        let report = try await status(base)
        let agentId = try #require(report["agent_id"]?.stringValue)
        #expect(report["issued_certificate"]?["subject"]?.stringValue == agentId)
        #expect(report["issued_certificate"]?["issuer"]?.stringValue == "Flotilla Agent CA")
        let text = try await flotilla(["status", "--base-path", base])
        #expect(text.stdout.contains("mutual, issued certificate \(agentId) from Flotilla Agent CA"), "\(text.stdout)")

        // Running, it renews twice (every twelve seconds) with no failed check-in.
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        #expect(await eventually(within: 60) { agent.printed.components(separatedBy: "Renewed this agent's client certificate").count > 2 })
        #expect(!agent.printed.contains("check-in failed"), "\(agent.printed)")
        let listed = try await flotilla([
            "server", "certs", "list", "--data-dir", server.directory.file("data"),
            "--fleet-server-cert", server.cert("fleet-cert.crt"), "--fleet-server-cert-key", server.cert("fleet-cert.key"),
            "--agent-ca", server.cert("agent-ca.crt"), "--agent-ca-key", server.cert("agent-ca.key"),
        ])
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.stdout.contains("agent CA (issues agents' certificates): Flotilla Agent CA"), "\(listed.stdout)")
        #expect(listed.stdout.contains("agent client certificate (issued): \(agentId), issued by Flotilla Agent CA"), "\(listed.stdout)")
        #expect(listed.stdout.contains("Fleet Server certificate: "), "\(listed.stdout)")
        _ = await agent.terminate()

        // Stopped until its certificate expired, it comes back: it renews with its API key alone, then checks in.
        let notAfter = try #require((try await status(base))["issued_certificate"]?["not_after"]?.stringValue.flatMap(RFC3339.date(from:)))
        #expect(await eventually(within: 30) { Date() > notAfter.addingTimeInterval(1) })
        #expect(try await status(base)["issued_certificate"]?["valid"]?.boolValue == false)
        let back = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { back.stop() }
        _ = try await back.line(containing: "Renewed this agent's client certificate", within: 30)
        _ = try await server.process.line(containing: "over its API key alone", within: 30)
        #expect(!back.printed.contains("check-in failed"), "\(back.printed)")

        // Revoked, its open connection is closed and its next handshake refused.
        let revoked = try await flotilla(["server", "agents", "revoke", agentId, "--data-dir", server.directory.file("data")])
        #expect(revoked.status == 0, "\(revoked.output)")
        _ = try await server.process.line(containing: "Closed the connection of \(agentId)", within: 30)
        _ = try await server.process.line(containing: "Refused the client certificate \(agentId)", within: 60)
    }
}
