import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The main flows run with known secrets (enrollment token, service token, the agent's and the console's API keys,
/// the agent key's passphrase, the store password, and wrong ones given by mistake), then everything a person or
/// another user of the machine can read is searched for them: every log line and error, the status output, the
/// processes' arguments in /proc, every file written outside the encrypted state and the designated secret files,
/// and the whole store.
@Suite(.timeLimit(.minutes(5))) struct SecretsAuditTests {
    @Test func noKnownSecretAppearsInALogAnErrorTheStatusTheArgumentsAFileOrTheStore() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase()
        let directory = TemporaryDirectory("flotilla-secrets")
        defer { directory.remove() }
        func file(_ name: String) -> String { directory.file(name) }
        let certs = file("certs")
        #expect(try await flotilla(["certs", "init", certs]).status == 0)
        let store = [
            "--fleet-server-es", pg.url(database: database), "--fleet-server-es-ca", pg.cert("es-ca.crt"),
            "--fleet-server-es-password-file", pg.passwordFile,
        ]
        let initialized = try await flotilla(["server", "init", "--data-dir", file("data"), "--service-token-path", file("service.token"),
                                              "--enrollment-token-path", file("enrollment.token")] + store)
        #expect(initialized.status == 0, "\(initialized.output)")
        let keyMade = try await flotilla(["console", "api-keys", "create", "--name", "audit", "--output-file", file("console.key")] + store)
        #expect(keyMade.status == 0, "\(keyMade.output)")
        func secret(_ name: String) throws -> String {
            try String(contentsOfFile: file(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let serviceToken = try secret("service.token"), enrollmentToken = try secret("enrollment.token")
        let consoleKey = try secret("console.key"), passphrase = try secret("certs/agent-cert.passphrase")

        // The service token on the command line on purpose: the form the help warns about must still not show.
        let port = try FreePort.onLoopback(), consolePort = try FreePort.onLoopback()
        let server = try BackgroundProcess(ProcessRunner.flotillaBinary, [
            "server", "--data-dir", file("data"), "--fleet-server-service-token=\(serviceToken)",
            "--fleet-server-cert", "\(certs)/fleet-cert.crt", "--fleet-server-cert-key", "\(certs)/fleet-cert.key",
            "--certificate-authorities", "\(certs)/agent-ca.crt", "--fleet-server-client-auth", "required",
            "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "\(port)", "--public-url", "https://localhost:\(port)",
            "--console-port", "\(consolePort)",
        ] + store)
        defer { server.stop() }
        _ = try await server.line(containing: "Fleet Server listening on https://")

        let agentFlags = [
            "--url=https://localhost:\(port)", "--certificate-authorities=\(certs)/fleet-ca.crt,\(certs)/agent-ca.crt",
            "--elastic-agent-cert=\(certs)/agent-cert.crt", "--elastic-agent-cert-key=\(certs)/agent-cert.key",
            "--non-interactive",
        ]
        // Mistakes first: a wrong token and a wrong passphrase are refused without being repeated back.
        let wrongToken = "wrong-token-\(UUID().uuidString)", wrongPassphrase = "wrong-passphrase-\(UUID().uuidString)"
        _ = directory.write("wrong.passphrase", wrongPassphrase + "\n")
        let refusedToken = try await flotilla(["install", "--enrollment-token", wrongToken, "--elastic-agent-cert-key-passphrase=\(certs)/agent-cert.passphrase",
                                               "--base-path", file("refused-1")] + agentFlags)
        let refusedPassphrase = try await flotilla(["install", "--enrollment-token=\(enrollmentToken)", "--elastic-agent-cert-key-passphrase=\(file("wrong.passphrase"))",
                                                    "--base-path", file("refused-2")] + agentFlags)
        #expect(refusedToken.status != 0 && refusedPassphrase.status != 0)

        let base = file("agent")
        let installed = try await flotilla(["install", "--enrollment-token=\(enrollmentToken)",
                                            "--elastic-agent-cert-key-passphrase=\(certs)/agent-cert.passphrase", "--base-path", base] + agentFlags)
        #expect(installed.status == 0, "\(installed.output)")
        let state = try #require(try AgentVault(directory: "\(base)/state").load())
        let agentKey = state.accessAPIKey
        let agentKeySecret = String(decoding: Data(base64Encoded: agentKey) ?? Data(), as: UTF8.self).split(separator: ":").last.map(String.init) ?? agentKey
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { agent.stop() }
        let reader = try await pg.openStore(database: database)
        let online = try await reader.waitForAgent(within: 60) { $0.id == state.agentId && $0.lastCheckinAt != nil && $0.policyRevision != nil }
        #expect(online != nil, "the agent never checked in")
        try await reader.close()

        let status = try await flotilla(["status", "--base-path", base])
        let agents = try await flotilla(["server", "agents", "list", "--data-dir", file("data")] + store)
        let console = try await ProcessRunner.run("curl", [
            "-sS", "--max-time", "10", "--cacert", "\(certs)/fleet-ca.crt", "--resolve", "localhost:\(consolePort):127.0.0.1",
            "-H", "Authorization: ApiKey \(consoleKey)", "https://localhost:\(consolePort)/api/fleet/agents",
        ])
        #expect(console.stdout.contains(state.agentId), "\(console.output)")
        let arguments = [server.processIdentifier, agent.processIdentifier].map { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\u{0}", with: " ") ?? ""
        }
        #expect(arguments[0].contains("--fleet-server-service-token=****"), "\(arguments[0])")
        _ = await agent.terminate(signal: SIGTERM)
        _ = await server.terminate(signal: SIGTERM)

        let secrets = [
            "enrollment token": enrollmentToken, "service token": serviceToken, "console API key": consoleKey,
            "agent API key": agentKey, "agent API key secret": agentKeySecret, "key passphrase": passphrase,
            "store password": pg.password, "wrong token": wrongToken, "wrong passphrase": wrongPassphrase,
        ]
        var places: [(String, String)] = [
            ("the Fleet Server's log", server.printed), ("the agent's log", agent.printed),
            ("the refused install with a wrong token", refusedToken.output), ("the refused install with a wrong passphrase", refusedPassphrase.output),
            ("the install's output", installed.output), ("flotilla status", status.output), ("flotilla server agents", agents.output),
            ("the server's arguments in /proc", arguments[0]), ("the agent's arguments in /proc", arguments[1]),
            ("the store", try await pg.dump(database: database)),
        ]
        // Files written where the secrets are meant to be (the token and key files, the vault key, the passphrase
        // the test wrote): readable by their owner only. Every other file is searched.
        let designated = [
            file("service.token"), file("enrollment.token"), file("console.key"), "\(base)/state/vault.key", "\(base)/state/state.enc",
        ]
        for path in designated {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o077 == 0, "\(path) is readable by others (\(String(mode, radix: 8)))")
        }
        let skipped = Set(designated + [file("wrong.passphrase"), "\(certs)/agent-cert.passphrase"])
        for root in [file("data"), base, certs] {
            for case let relative as String in FileManager.default.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator() {
                let path = "\(root)/\(relative)"
                var isDirectory: ObjCBool = false
                guard !skipped.contains(path), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      let data = FileManager.default.contents(atPath: path) else { continue }
                places.append(("the file \(path)", String(decoding: data, as: UTF8.self)))
            }
        }
        #expect(places.count > 12, "no files were searched")
        for (place, text) in places {
            for (name, value) in secrets where text.contains(value) {
                Issue.record("The \(name) appears in \(place)")
            }
        }
    }
}
