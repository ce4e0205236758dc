import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// `flotilla server` as a real process with the certificates `flotilla certs init` makes: the three client-auth
/// modes seen by curl and openssl, and SIGTERM.
@Suite(.timeLimit(.minutes(5))) struct FleetServerProcessTests {
    /// A certificate set, an initialized store, and a running `flotilla server` with `clientAuth`.
    final class RunningServer: Sendable {
        let directory: TemporaryDirectory
        let process: BackgroundProcess
        let port: Int

        var certs: String { directory.file("certs") }
        func cert(_ name: String) -> String { "\(certs)/\(name)" }

        init(clientAuth: String, extraConfiguration: String = "", extraArguments: [String] = []) async throws {
            let port = try FreePort.onLoopback()
            // Policies name this server as agents reach it, so an agent's Fleet host stays what it enrolled with.
            let publicURL = ["--public-url", "https://localhost:\(port)"]
            directory = TemporaryDirectory("flotilla-e2e")
            let flotilla = ProcessRunner.flotillaBinary
            let certsDirectory = directory.file("certs")
            let made = try await ProcessRunner.run(flotilla, ["certs", "init", directory.file("certs")])
            guard made.status == 0 else { throw FlotillaError("certs init failed: \(made.output)") }
            let initialized = try await ProcessRunner.run(flotilla, [
                "server", "init", "--data-dir", directory.file("data"),
                "--service-token-path", directory.file("service.token"), "--enrollment-token-path", directory.file("enrollment.token"),
            ])
            guard initialized.status == 0 else { throw FlotillaError("server init failed: \(initialized.output)") }
            let config = directory.write("fleet.yml", "checkin_flush_seconds: 0.1\n" + extraConfiguration)
            process = try BackgroundProcess(flotilla, [
                "server", "--config", config, "--data-dir", directory.file("data"),
                "--fleet-server-service-token-path", directory.file("service.token"),
                "--fleet-server-cert", "\(directory.file("certs"))/fleet-cert.crt", "--fleet-server-cert-key", "\(directory.file("certs"))/fleet-cert.key",
                "--certificate-authorities", "\(directory.file("certs"))/agent-ca.crt", "--fleet-server-client-auth", clientAuth,
                "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "\(port)",
            ] + publicURL + extraArguments.map { $0.replacingOccurrences(of: "{certs}", with: certsDirectory) })
            _ = try await process.line(containing: "Fleet Server listening on https://")
            self.port = port
        }

        /// The enrollment token `server init` wrote.
        var enrollmentToken: String {
            get throws {
                try String(contentsOfFile: directory.file("enrollment.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }

        /// The seed's mutual-TLS agent flags, with this server's files and token.
        func seedAgentFlags() throws -> [String] {
            [
                "--url=https://localhost:\(port)", "--enrollment-token=\(try enrollmentToken)",
                "--certificate-authorities=\(cert("fleet-ca.crt")),\(cert("agent-ca.crt"))",
                "--elastic-agent-cert=\(cert("agent-cert.crt"))", "--elastic-agent-cert-key=\(cert("agent-cert.key"))",
                "--elastic-agent-cert-key-passphrase=\(cert("agent-cert.passphrase"))",
            ]
        }

        func curl(_ extra: [String], path: String = "/api/status") async throws -> ProcessResult {
            try await ProcessRunner.run("curl", [
                "-sS", "--max-time", "10", "--resolve", "localhost:\(port):127.0.0.1", "--cacert", cert("fleet-ca.crt"),
            ] + extra + ["https://localhost:\(port)\(path)"])
        }

        var agentCredentials: [String] {
            get throws {
                ["--cert", cert("agent-cert.crt"), "--key", cert("agent-cert.key"), "--pass", try String(contentsOfFile: cert("agent-cert.passphrase"), encoding: .utf8)]
            }
        }

        var rogueCredentials: [String] {
            let fixtures = CertificateFixtures.shared
            return ["--cert", fixtures.path("rogue-agent.crt"), "--key", fixtures.path("rogue-agent.key")]
        }

        func stop() async {
            _ = await process.terminate(signal: SIGKILL)
            directory.remove()
        }
    }

    @Test func requiredClientAuthRefusesAnonymousAndUntrustedAgentsAtTheHandshake() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let anonymous = try await server.curl([])
        #expect(anonymous.status != 0)
        #expect(!anonymous.stdout.contains("HEALTHY"))
        let untrusted = try await server.curl(server.rogueCredentials)
        #expect(untrusted.status != 0)
        let agent = try await server.curl(try server.agentCredentials)
        #expect(agent.status == 0, "\(agent.stderr)")
        #expect(agent.stdout.contains(#""status":"HEALTHY""#))
    }

    @Test func optionalClientAuthAcceptsAnonymousAndValidAgentsAndRefusesUntrustedOnes() async throws {
        let server = try await RunningServer(clientAuth: "optional")
        defer { Task { await server.stop() } }
        #expect(try await server.curl([]).stdout.contains("HEALTHY"))
        #expect(try await server.curl(try server.agentCredentials).stdout.contains("HEALTHY"))
        let untrusted = try await server.curl(server.rogueCredentials)
        #expect(untrusted.status != 0)
        #expect(!untrusted.stdout.contains("HEALTHY"))
    }

    @Test func noClientAuthNeverAsksForACertificate() async throws {
        let server = try await RunningServer(clientAuth: "none")
        defer { Task { await server.stop() } }
        let handshake = try await ProcessRunner.run("openssl", [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", server.cert("fleet-ca.crt"), "-verify_return_error",
        ], stdin: "")
        #expect(handshake.stdout.contains("No client certificate CA names sent"), "\(handshake.output)")
        #expect(handshake.stdout.contains("Verify return code: 0 (ok)"))
        #expect(try await server.curl(server.rogueCredentials).stdout.contains("HEALTHY"))
    }

    @Test func aConsolePortAlreadyTakenIsRefusedWithASentence() async throws {
        let server = try await RunningServer(clientAuth: "none")
        defer { Task { await server.stop() } }
        // A second Fleet Server whose console asks for the first one's port.
        let second = try await flotilla([
            "server", "--data-dir", server.directory.file("data"), "--fleet-server-service-token-path", server.directory.file("service.token"),
            "--fleet-server-cert", server.cert("fleet-cert.crt"), "--fleet-server-cert-key", server.cert("fleet-cert.key"),
            "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "0", "--console-host", "127.0.0.1", "--console-port", "\(server.port)",
        ])
        #expect(second.status != 0)
        #expect(second.stderr.contains("The console cannot listen on 127.0.0.1:\(server.port): another program already listens there"), "\(second.output)")
        #expect(second.stderr.contains("--console-port"))
        #expect(!second.output.contains("Fatal error"))
    }

    /// `--log-format json` gives one JSON object per log line with the level, logger and message; `--log-level`
    /// filters; a value that is neither is refused with a sentence before anything starts.
    @Test func logsAreJSONLinesAtTheChosenLevel() async throws {
        let server = try await RunningServer(clientAuth: "none", extraArguments: ["--log-format", "json", "--log-level=warning"])
        defer { Task { await server.stop() } }
        let quiet = server.process.printed.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(quiet.isEmpty, "info lines at --log-level warning: \(quiet)")

        let verbose = try await RunningServer(clientAuth: "none", extraArguments: ["--log-format=json", "--log-level", "debug"])
        defer { Task { await verbose.stop() } }
        let lines = verbose.process.printed.split(separator: "\n").filter { $0.hasPrefix("{") }
        let records = lines.compactMap { try? JSONValue(data: Data($0.utf8)) }
        #expect(records.count == lines.count && !records.isEmpty, "\(lines)")
        let listening = records.first { $0["message"]?.stringValue?.contains("Fleet Server listening") == true }
        #expect(listening?["log.level"] == "info" && listening?["log.logger"] == "fleet-server", "\(records)")
        #expect(records.allSatisfy { $0["@timestamp"]?.stringValue != nil })

        for (arguments, sentence) in [(["--log-format", "xml"], "--log-format xml is not a format"), (["--log-level=loud"], "--log-level loud is not a level")] {
            let refused = try await flotilla(["server", "--data-dir", server.directory.file("data")] + arguments)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(sentence) && refused.stderr.split(separator: "\n").count == 1, "\(refused.output)")
        }
    }

    /// `--metrics-port` serves Prometheus' text format on its own plain-HTTP listener: connections, waiting
    /// check-ins, check-ins and enrollments by result, failed handshakes by reason, certificate days and the open-
    /// files capacity. A port already taken is refused with a sentence naming the flag.
    @Test func metricsListenerCountsWhatOperatorsWatch() async throws {
        let server = try await RunningServer(clientAuth: "required", extraArguments: ["--metrics-port", "0"])
        defer { Task { await server.stop() } }
        let line = try await server.process.line(containing: "Fleet Server metrics on http://127.0.0.1:")
        let url = String(line[line.range(of: "http://")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
        func scrape() async throws -> [String: Double] {
            PrometheusSamples.parse(try await ProcessRunner.run("curl", ["-sS", "--max-time", "10", url]).stdout)
        }
        // Two refused handshakes: no certificate, and one from a CA this server does not trust.
        _ = try await server.curl([])
        _ = try await server.curl(server.rogueCredentials)
        var agent = FleetAgentClient(port: server.port, tls: try TLSClientContext(settings: TLSSettings(
            certificateAuthorities: [server.cert("fleet-ca.crt")], certificate: server.cert("agent-cert.crt"),
            key: server.cert("agent-cert.key"), keyPassphrasePath: server.cert("agent-cert.passphrase")
        )))
        #expect(try await agent.enroll(token: try server.enrollmentToken).status == 200)
        #expect(try await agent.checkin().status == 200)
        let enrolled = agent
        let waiting = Task { try await enrolled.checkin(policyRevision: 1, policyId: StoreSetup.defaultPolicyId) }
        defer { waiting.cancel() }
        var samples: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(30)
        while true {
            samples = try await scrape()
            guard samples["flotilla_fleet_server_waiting_checkins"] != 1, Date() < deadline else { break }
            try await Task.sleep(for: .milliseconds(100))  // a poll for the server's own count, bounded above
        }
        #expect(samples["flotilla_fleet_server_waiting_checkins"] == 1, "\(samples)")
        #expect(samples["flotilla_fleet_server_connections"] == 1, "\(samples)")
        #expect(samples[#"flotilla_fleet_server_enrollments_total{result="enrolled"}"#] == 1)
        #expect(samples[#"flotilla_fleet_server_checkins_total{result="delivered"}"#] == 1)
        #expect(samples[#"flotilla_fleet_server_tls_handshake_failures_total{reason="no_client_certificate"}"#] == 1, "\(samples)")
        #expect(samples[#"flotilla_fleet_server_tls_handshake_failures_total{reason="client_certificate_rejected"}"#] == 1, "\(samples)")
        #expect((samples[#"flotilla_fleet_server_certificate_days_left{certificate="fleet_server"}"#] ?? 0) > 300)
        #expect((samples["flotilla_fleet_server_agent_capacity"] ?? 0) > 0)
        #expect((samples["flotilla_fleet_server_store_request_seconds_count"] ?? 0) >= 3)

        let port = URL(string: url)!.port!
        let taken = try await flotilla([
            "server", "--data-dir", server.directory.file("data"), "--metrics-port", "\(port)", "--insecure-http",
            "--fleet-server-port", "\(try FreePort.onLoopback())", "--fleet-server-service-token-path", server.directory.file("service.token"),
        ])
        #expect(taken.status != 0)
        #expect(taken.stderr.contains("The metrics listener cannot listen on 127.0.0.1:\(port): another program already listens there"), "\(taken.output)")
    }

    @Test func sigtermAnswersWaitingCheckinsWithNothingNewAndStopsCleanly() async throws {
        let server = try await RunningServer(clientAuth: "none")
        defer { Task { await server.stop() } }
        var agent = FleetAgentClient(port: server.port, tls: try TLSClientContext(settings: TLSSettings(certificateAuthorities: [server.cert("fleet-ca.crt")])))
        let token = try server.enrollmentToken
        #expect(try await agent.enroll(token: token).status == 200)
        let firstPolicy = try await agent.checkin().decode(CheckinResponse.self)
        #expect(firstPolicy.actions?.first?.type == "POLICY_CHANGE")

        // A check-in that would wait five minutes; its bookkeeping lands in the store just before it parks.
        let enrolled = agent
        let waiting = Task { [enrolled] in
            try await enrolled.send("POST", "/api/fleet/agents/\(enrolled.agentId)/checkin",
                json: CheckinRequest(status: "online", message: "waiting for changes", agentPolicyID: "default-policy", policyRevisionIdx: 1),
                authorization: enrolled.agentAuthorization)
        }
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        let parked = try await store.waitForAgent { $0.id == agent.agentId && $0.lastMessage == "waiting for changes" }
        try await store.close()
        #expect(parked != nil)

        let signalled = Date()
        let status = await server.process.terminate(signal: SIGTERM)
        let reply = try await waiting.value
        #expect(reply.status == 200, "\(reply.body)")
        #expect(try reply.decode(CheckinResponse.self).actions?.isEmpty == true)
        #expect(Date().timeIntervalSince(signalled) < 10)
        #expect(status == 0, "\(server.process.printed)")
    }

    @Test func agentsCommandShowsTheClientCertificateAndReachesARunningServer() async throws {
        let server = try await RunningServer(clientAuth: "optional")
        defer { Task { await server.stop() } }
        let settings = TLSSettings(
            certificateAuthorities: [server.cert("fleet-ca.crt")], certificate: server.cert("agent-cert.crt"),
            key: server.cert("agent-cert.key"), keyPassphrasePath: server.cert("agent-cert.passphrase")
        )
        var agent = FleetAgentClient(port: server.port, tls: try TLSClientContext(settings: settings))
        let token = try server.enrollmentToken
        #expect(try await agent.enroll(token: token).status == 200)
        let dataDir = server.directory.file("data")

        let listed = try await flotilla(["server", "agents", "list", "--data-dir", dataDir, "--output", "json"])
        let rows = try JSONValue(data: Data(listed.stdout.utf8))
        #expect(rows[0]?["id"]?.stringValue == agent.agentId)
        #expect(rows[0]?["client_certificate"]?.stringValue == "flotilla-agent")
        #expect(rows[0]?["client_certificate_sha256"]?.stringValue == (try TLSIdentityFingerprint.of(server.cert("agent-cert.crt"))))

        // The CLI writes to the store from another process; the waiting check-in hears of it.
        let enrolled = agent
        let waiting = Task { [enrolled] in try await enrolled.checkin(policyRevision: 1, policyId: "default-policy") }
        let sent = try await flotilla(["server", "agents", "unenroll", agent.agentId, "--data-dir", dataDir])
        #expect(sent.status == 0, "\(sent.output)")
        let actions = try await waiting.value.decode(CheckinResponse.self).actions ?? []
        let unenroll = try #require(actions.first { $0.type == "UNENROLL" })
        #expect(try await agent.ack([unenroll]).status == 200)
        #expect(try await agent.checkin().status == 401)

        var other = FleetAgentClient(port: server.port, tls: try TLSClientContext(settings: TLSSettings(certificateAuthorities: [server.cert("fleet-ca.crt")])))
        #expect(try await other.enroll(token: token).status == 200)
        let revoked = try await flotilla(["server", "agents", "revoke", other.agentId, "--data-dir", dataDir])
        #expect(revoked.status == 0, "\(revoked.output)")
        #expect(try await other.checkin().status == 401)
        let unknown = try await flotilla(["server", "agents", "revoke", "no-such-agent", "--data-dir", dataDir])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("There is no agent no-such-agent"))
    }
}
