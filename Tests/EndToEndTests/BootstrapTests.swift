import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The seed's two install commands, flag for flag with local paths and an SQLite store: each brings a Fleet Server
/// up inside the agent and the agent online; more agents enroll into it; every bad input is refused first.
@Suite(.timeLimit(.minutes(5))) struct BootstrapTests {
    /// What `flotilla server init` and `flotilla certs init` leave for an install: certificates, store, tokens.
    struct Prepared {
        let directory = TemporaryDirectory("flotilla-bootstrap")
        let port: Int

        init(dnsNames: [String]) async throws {
            port = try FreePort.onLoopback()
            let made = try await flotilla(["certs", "init", directory.file("certs")] + dnsNames.flatMap { ["--dns", $0] })
            guard made.status == 0 else { throw FlotillaError("certs init failed: \(made.output)") }
            let initialized = try await flotilla([
                "server", "init", "--fleet-server-es", store,
                "--service-token-path", directory.file("service.token"), "--enrollment-token-path", directory.file("enrollment.token"),
            ])
            guard initialized.status == 0 else { throw FlotillaError("server init failed: \(initialized.output)") }
        }

        var store: String { directory.file("fleet.sqlite") }
        func cert(_ name: String) -> String { directory.file("certs/\(name)") }
        func secret(_ name: String) throws -> String {
            try String(contentsOfFile: directory.file(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// The seed's one-way command.
        func oneWayFlags(url: String) throws -> [String] {
            [
                "--url=\(url)",
                "--certificate-authorities=\(cert("fleet-ca.crt"))",
                "--fleet-server-es=\(store)",
                "--fleet-server-es-ca=\(cert("es-ca.crt"))",
                "--fleet-server-cert=\(cert("fleet-cert.crt"))",
                "--fleet-server-cert-key=\(cert("fleet-cert.key"))",
                "--fleet-server-service-token=\(try secret("service.token"))",
                "--fleet-server-policy=\(StoreSetup.fleetServerPolicyId)",
                "--fleet-server-port=\(port)",
            ]
        }

        /// The seed's mutual-TLS command, including its second --elastic-agent-cert-key naming the passphrase file.
        func mutualFlags(url: String) throws -> [String] {
            [
                "--url=\(url)",
                "--certificate-authorities=\(cert("fleet-ca.crt")),\(cert("agent-ca.crt"))",
                "--elastic-agent-cert=\(cert("agent-cert.crt"))",
                "--elastic-agent-cert-key=\(cert("agent-cert.key"))",
                "--elastic-agent-cert-key=\(cert("agent-cert.passphrase"))",
                "--fleet-server-es=\(store)",
                "--fleet-server-es-ca=\(cert("es-ca.crt"))",
                "--fleet-server-es-cert=\(cert("fleet-es-cert.crt"))",
                "--fleet-server-es-cert-key=\(cert("fleet-es-cert.key"))",
                "--fleet-server-cert=\(cert("fleet-cert.crt"))",
                "--fleet-server-cert-key=\(cert("fleet-cert.key"))",
                "--fleet-server-client-auth=required",
                "--fleet-server-service-token=\(try secret("service.token"))",
                "--fleet-server-policy=\(StoreSetup.fleetServerPolicyId)",
                "--fleet-server-port=\(port)",
            ]
        }

        /// Polls the store until `condition` holds for some agent (bookkeeping is batched).
        func waitForAgent(_ condition: (AgentRecord) -> Bool) async throws -> AgentRecord? {
            let store = try SQLiteStore(path: self.store)
            defer { Task { try? await store.close() } }
            return try await store.waitForAgent(condition)
        }
    }

    /// `flotilla run`, waiting until its Fleet Server is up when it runs one.
    func runAgent(_ base: String, fleetServer: Bool) throws -> BackgroundProcess {
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        if fleetServer { _ = try agent.waitForLine(containing: "is running with its Fleet Server", within: 90) }
        return agent
    }

    @Test func seedsOneWayInstallBringsAFleetServerUpAndMoreAgentsEnrollIntoIt() async throws {
        let prepared = try await Prepared(dnsNames: ["localhost"])
        let url = "https://localhost:\(prepared.port)"
        let first = prepared.directory.file("agent-1")
        let installed = try await flotilla(["install"] + prepared.oneWayFlags(url: url) + ["--base-path", first, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.stdout.contains("start the agent and its Fleet Server"))

        let serverAgent = try runAgent(first, fleetServer: true)
        defer { serverAgent.stop() }
        let online = try await prepared.waitForAgent { $0.policyId == StoreSetup.fleetServerPolicyId && $0.policyRevision == 1 && $0.lastStatus == "online" }
        #expect(online?.lastStatus == "online")

        // Another host enrolls with --url into the Fleet Server the first agent runs.
        let second = prepared.directory.file("agent-2")
        let enrolled = try await flotilla([
            "install", "--url=\(url)", "--enrollment-token=\(try prepared.secret("enrollment.token"))",
            "--certificate-authorities=\(prepared.cert("fleet-ca.crt"))", "--base-path", second, "--non-interactive",
        ])
        #expect(enrolled.status == 0, "\(enrolled.output)")
        let plainAgent = try runAgent(second, fleetServer: false)
        defer { plainAgent.stop() }
        let joined = try #require(try await prepared.waitForAgent { $0.policyId == StoreSetup.defaultPolicyId && $0.policyRevision == 1 && $0.lastStatus == "online" })

        // A policy change written to the store (as the console would) reaches the running agent.
        let store = try SQLiteStore(path: prepared.store)
        var policy = try #require(try await store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://logs.example.com:9200"]}},"inputs":[]}"#
        _ = try await store.savePolicy(policy)
        try await store.close()
        #expect(try await prepared.waitForAgent { $0.id == joined.id && $0.policyRevision == 2 } != nil)

        let status = try await flotilla(["status", "--base-path", second, "--output", "json"])
        let report = try JSONValue(data: Data(status.stdout.utf8))
        #expect(report["policy_revision"]?.intValue == 2)
        #expect(report["fleet_server"] == nil)

        // A policy whose Fleet TLS settings would cut the agent off (a CA that does not sign the server): the agent
        // keeps its working settings, says it is degraded, and still takes the next good revision.
        policy.body = #"{"fleet":{"ssl":{"certificate_authorities":["\#(prepared.cert("es-ca.crt"))"]}},"inputs":[]}"#
        let broken = try SQLiteStore(path: prepared.store)
        _ = try await broken.savePolicy(policy)
        let degraded = try await prepared.waitForAgent { $0.id == joined.id && $0.lastStatus == "degraded" }
        #expect(degraded?.policyRevision == 3)  // seen, so not sent again, but not applied
        #expect(degraded?.lastMessage?.contains("not applied") == true)
        policy.body = #"{"inputs":[]}"#
        _ = try await broken.savePolicy(policy)
        try await broken.close()
        #expect(try await prepared.waitForAgent { $0.id == joined.id && $0.lastStatus == "online" && $0.policyRevision == 4 } != nil)
        let after = try await flotilla(["status", "--base-path", second, "--output", "json"])
        #expect(try JSONValue(data: Data(after.stdout.utf8))["policy_revision"]?.intValue == 4)
    }

    @Test func seedsMutualInstallWorksWhenTheServerCertificateNamesOnlyThePublicHost() async throws {
        // The certificate covers fleet.example.test only, a name nothing resolves here: the agent reaches its own
        // Fleet Server on 127.0.0.1 and still verifies that name (Elastic's agent fails this case).
        let prepared = try await Prepared(dnsNames: ["fleet.example.test"])
        let base = prepared.directory.file("agent")
        let installed = try await flotilla(["install"] + prepared.mutualFlags(url: "https://fleet.example.test:443") + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.stdout.contains("as --elastic-agent-cert-key-passphrase"))

        let agent = try runAgent(base, fleetServer: true)
        defer { agent.stop() }
        let online = try await prepared.waitForAgent { $0.policyRevision == 1 && $0.lastStatus == "online" }
        #expect(online?.certificateSubject == "flotilla-agent")

        let status = try await flotilla(["status", "--base-path", base, "--output", "json"])
        let report = try JSONValue(data: Data(status.stdout.utf8))
        #expect(report["fleet_server"]?["client_auth"]?.stringValue == "required")
        #expect(report["fleet_server"]?["certificate"]?.stringValue == "fleet.example.test")
        let inspected = try await flotilla(["inspect", "--base-path", base])
        #expect(!inspected.stdout.contains(try prepared.secret("service.token")))

        // Without a client certificate the agent's own Fleet Server turns a second agent away.
        let anonymous = try await ProcessRunner.run("curl", [
            "-sS", "--max-time", "10", "--resolve", "fleet.example.test:\(prepared.port):127.0.0.1",
            "--cacert", prepared.cert("fleet-ca.crt"), "https://fleet.example.test:\(prepared.port)/api/status",
        ])
        #expect(anonymous.status != 0)

        let uninstalled = try await flotilla(["uninstall", "--base-path", base, "--non-interactive"])
        #expect(uninstalled.status == 0, "\(uninstalled.output)")
        #expect(try await prepared.waitForAgent { $0.unenrolledAt != nil } != nil)
    }

    @Test func seedsMutualInstallRunsItsFleetServerOnPostgreSQLOverMutualTLS() async throws {
        let pg = try await PostgresInstance.shared.value
        let database = try await pg.createDatabase(certificateRole: true)
        let prepared = try await Prepared(dnsNames: ["localhost"])
        // The seed's Fleet Server → store flags, for a PostgreSQL that demands fleet-es-cert.
        let storeFlags = [
            "--fleet-server-es=\(pg.url(certificateRole: true, database: database))",
            "--fleet-server-es-ca=\(pg.cert("es-ca.crt"))",
            "--fleet-server-es-cert=\(pg.cert("fleet-es-cert.crt"))",
            "--fleet-server-es-cert-key=\(pg.cert("fleet-es-cert.key"))",
        ]
        let tokenFile = prepared.directory.file("pg-service.token")
        let initialized = try await flotilla(["server", "init"] + storeFlags + ["--service-token-path", tokenFile, "--enrollment-token-path", prepared.directory.file("pg-enrollment.token")])
        #expect(initialized.status == 0, "\(initialized.output)")
        let flags = try prepared.mutualFlags(url: "https://localhost:\(prepared.port)").filter {
            !$0.hasPrefix("--fleet-server-es") && !$0.hasPrefix("--fleet-server-service-token")
        } + storeFlags + ["--fleet-server-service-token-path=\(tokenFile)"]
        let base = prepared.directory.file("agent")
        let installed = try await flotilla(["install"] + flags + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")

        let agent = try runAgent(base, fleetServer: true)
        defer { agent.stop() }
        let store = try await pg.openStore(database: database, certificateRole: true)
        let online = try await store.waitForAgent { $0.policyRevision == 1 && $0.lastStatus == "online" }
        try await store.close()
        #expect(online?.policyId == StoreSetup.fleetServerPolicyId)
        #expect(online?.certificateSubject == "flotilla-agent")
        let status = try await flotilla(["status", "--base-path", base, "--output", "json"])
        #expect(try JSONValue(data: Data(status.stdout.utf8))["fleet_server"]?["store"]?.stringValue == pg.url(certificateRole: true, database: database))
    }

    @Test func everyBadBootstrapInputIsRefusedBeforeAnythingIsWritten() async throws {
        let prepared = try await Prepared(dnsNames: ["localhost"])
        let url = "https://localhost:\(prepared.port)"
        let flags = try prepared.mutualFlags(url: url)
        func replacing(_ flag: String, with value: String) -> [String] {
            flags.map { $0.hasPrefix("--\(flag)=") ? "--\(flag)=\(value)" : $0 }
        }
        let otherToken = prepared.directory.write("other.token", "not-the-service-token\n")
        let cases: [([String], [String])] = [
            (replacing("fleet-server-es", with: "https://es.example.com:443"), ["Elasticsearch URL", "https://es.example.com:443"]),
            (replacing("fleet-server-es", with: prepared.directory.file("missing.sqlite")), ["does not exist", "missing.sqlite", "flotilla server init"]),
            (replacing("url", with: "https://elsewhere.example.test:\(prepared.port)"), ["--fleet-server-cert", "not for elsewhere.example.test"]),
            (replacing("fleet-server-cert-key", with: prepared.cert("es-cert.key")), ["does not match", "es-cert.key"]),
            (replacing("fleet-server-cert", with: prepared.cert("missing.crt")), ["does not exist", "missing.crt"]),
            (replacing("fleet-server-service-token", with: "not-the-token"), ["service token is not known to the store"]),
            (flags + ["--fleet-server-service-token-path=\(otherToken)"], ["--fleet-server-service-token and --fleet-server-service-token-path"]),
            (replacing("fleet-server-policy", with: "no-such-policy"), ["no-such-policy does not exist"]),
            (replacing("fleet-server-client-auth", with: "sometimes"), ["--fleet-server-client-auth must be none, optional or required"]),
            (replacing("fleet-server-es-cert", with: prepared.cert("fleet-cert.crt")).map { $0.hasPrefix("--fleet-server-es-cert-key=") ? "--fleet-server-es-cert-key=\(prepared.cert("fleet-cert.key"))" : $0 }, ["not a client certificate"]),
            (flags.filter { !$0.hasPrefix("--fleet-server-es-cert-key=") }, ["--fleet-server-es-cert and --fleet-server-es-cert-key go together"]),
            (flags + ["--fleet-server-es-insecure"], ["--fleet-server-es-insecure cannot be combined"]),
            (flags + ["--fleet-server-timeout=soon"], ["--fleet-server-timeout soon is not a duration"]),
            // The agent's CAs do not sign the Fleet Server's certificate: found by the health check, before enrolling.
            (replacing("certificate-authorities", with: "\(prepared.cert("es-ca.crt")),\(prepared.cert("agent-ca.crt"))"), ["cannot use the Fleet Server it runs", "not among the trusted CAs"]),
            (flags.filter { !$0.hasPrefix("--fleet-server-es=") }, ["--fleet-server-es is required"]),
        ]
        try await expectInstallRefused(cases, in: prepared.directory)
        // None of those enrolled anything.
        let store = try SQLiteStore(path: prepared.store)
        #expect(try await store.agents().isEmpty)
        try await store.close()
    }
}
