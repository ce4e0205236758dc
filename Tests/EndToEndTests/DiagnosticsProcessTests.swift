import FleetProtocol
import FleetStore
import Foundation
import TestSupport
import Testing

/// REQUEST_DIAGNOSTICS with real processes: the agent zips what it knows, uploads it through the contract's
/// chunked routes, and the bundle is listed, downloaded and opened with Python's zipfile, with no secret inside.
@Suite(.timeLimit(.minutes(5))) struct DiagnosticsProcessTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    @Test func aBundleIsUploadedDownloadedAndHoldsNoSecret() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let data = server.directory.file("data")
        let base = server.directory.file("agent")
        let installed = try await flotilla(["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")
        let status = try await flotilla(["status", "--base-path", base, "--output", "json"])
        let agentId = try #require(try JSONValue(data: Data(status.stdout.utf8))["agent_id"]?.stringValue)
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { agent.stop() }
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        defer { Task { try? await store.close() } }
        #expect(try await store.waitForAgent(within: 60) { $0.id == agentId && $0.policyRevision == 1 } != nil)

        let asked = try await flotilla(["server", "agents", "request-diagnostics", agentId, "--data-dir", data])
        #expect(asked.status == 0, "\(asked.output)")
        let actionId = try #require(asked.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
        var result: ActionResultRecord?
        _ = try await eventually(within: 60) {
            result = try await store.results(actionId: actionId).first
            return result != nil
        }
        let answered = try #require(result, "the agent printed: \(agent.printed)")
        #expect(answered.error.isEmpty, "\(answered.error)")
        let uploads = try await store.uploads(agentId: agentId)
        let upload = try #require(uploads.first)
        #expect(upload.status == .ready)

        let listed = try await flotilla(["server", "agents", "diagnostics", agentId, "--data-dir", data])
        #expect(listed.stdout.contains(upload.id) && listed.stdout.contains("ready"), "\(listed.output)")
        let saved = server.directory.file("bundle.zip")
        let downloaded = try await flotilla(["server", "agents", "diagnostics", agentId, "--download", upload.id, "--output", saved, "--data-dir", data])
        #expect(downloaded.status == 0, "\(downloaded.output)")
        let attributes = try FileManager.default.attributesOfItem(atPath: saved)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // Opened by a zip reader we did not write; every file there, and none of the known secrets.
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                assert z.testzip() is None
                for name in z.namelist():
                    print("== " + name)
                    print(z.read(name).decode("utf-8", "replace"))
            """
        let opened = try await ProcessRunner.run("python3", ["-c", script, saved])
        #expect(opened.status == 0, "\(opened.output)")
        for name in ["status.json", "policy.json", "logs.txt", "certificates.txt", "components.json"] {
            #expect(opened.stdout.contains("== \(name)"), "\(name) is missing")
        }
        #expect(opened.stdout.contains(agentId))
        #expect(opened.stdout.contains("Applied policy"))
        #expect(opened.stdout.contains("flotilla-agent"))
        let secrets = [
            try server.enrollmentToken,
            try String(contentsOfFile: server.directory.file("service.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            try String(contentsOfFile: server.cert("agent-cert.passphrase"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
        ]
        for secret in secrets { #expect(!opened.stdout.contains(secret)) }
        // The agent's API key (only its hash is in the store): no credential after "ApiKey" but the marker.
        #expect(opened.stdout.range(of: #"ApiKey (?!<redacted>)[A-Za-z0-9+/=]{8,}"#, options: .regularExpression) == nil)
        #expect(!opened.stdout.contains("access_api_key"))
        #expect(!opened.stdout.contains("PRIVATE KEY"))
    }
}
