import FleetAgent
import FleetConsole
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// Settings changed through the console reach a real agent over mutual TLS through a real Fleet Server on the same
/// store; a forced change that cannot work leaves the agent connected, and the console shows it unhealthy with why.
@Suite(.timeLimit(.minutes(2))) struct PushedSettingsTests {
    let certs = CertificateFixtures.shared

    /// A console over plain HTTP on the Fleet Server's store, and an admin API key for it.
    static func console(on fleet: TestFleetServer, in directory: TemporaryDirectory) async throws -> (FleetConsole, String) {
        var configuration = ConsoleConfiguration()
        configuration.insecureHTTP = true
        configuration.secretsKeyPath = directory.file("console-secrets.key")
        let console = try await FleetConsole(configuration: configuration, store: fleet.store, logger: Logger(label: "console"))
        return (console, try await console.accounts.createAPIKey(name: "test", role: .admin).encoded)
    }

    @Test func forcedBrokenHostLeavesTheAgentConnectedAndTheConsoleSaysWhy() async throws {
        // Short polls, so each check-in of the test ends soon after its answer.
        let fleet = try await TestFleetServer.start(clientAuth: .required) { $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0; $0.checkinFlushSeconds = 0.1 }
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory("flotilla-pushed")
        defer { directory.remove() }
        let (console, apiKey) = try await Self.console(on: fleet, in: directory)

        let vault = AgentVault(directory: directory.file("agent"))
        try vault.save(try await Enrollment.enroll(
            url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: true),
            tags: [], options: FleetConnectionOptions(localFleetServerPort: fleet.port)
        ))
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 60)
        _ = try await runner.checkinOnce()

        try await ConsoleHarness.run(console, apiKey: apiKey) { client in
            // The agents' CAs pushed first: the agent takes them (its own URL stays on loopback to this server).
            let good: JSONValue = [
                "name": "main", "host_urls": .array([.string("https://localhost:\(fleet.port)")]), "is_default": true,
                "ssl": ["agent_certificate_authorities": [.string(certs.fleetCA)]],
            ]
            let made = try await client.call(.post, "/api/fleet/fleet_server_hosts", good)
            #expect(made.status == .ok, "\(made.text)")
            _ = try await runner.checkinOnce()
            let applied = try #require(try vault.load())
            #expect(applied.fleetTLS.certificateAuthorities == [certs.fleetCA])
            #expect(applied.rejectionReason == nil)

            // Then a URL nothing answers at, forced: the agent refuses it and stays with what works.
            let id = try #require(made.json[["item", "id"]]?.stringValue)
            let broken = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)?force=true", ["host_urls": ["https://localhost:1"]])
            #expect(broken.status == .ok, "\(broken.text)")
            _ = try await runner.checkinOnce()
            _ = try await runner.checkinOnce()
            let kept = try #require(try vault.load())
            #expect(kept.fleetHosts == ["https://localhost:\(fleet.port)"])
            #expect(kept.rejectionReason?.contains("localhost:1") == true, "\(kept.rejectionReason ?? "none")")

            var agent: JSONValue = .null
            let deadline = ContinuousClock.now + .seconds(10)
            repeat {
                agent = try await client.call(.get, "/api/fleet/agents/\(applied.agentId)").json["item"] ?? .null
                if agent["status"] == "unhealthy" { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(agent["status"] == "unhealthy")
            #expect(agent["last_checkin_message"]?.stringValue?.contains("was not applied") == true, "\(agent)")
        }
    }

    /// A proxy chosen on the Fleet Server host in the console reaches the agent in its policy, is tried, and carries
    /// its check-ins; taken off the host again, the policy names none and the agent goes back to connecting directly
    /// (Elastic's agent keeps a proxy once a policy set it).
    @Test func aProxySetAndRemovedThroughTheConsole() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required) { $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0; $0.checkinFlushSeconds = 0.1 }
        defer { Task { await fleet.stop() } }
        let proxy = try await TinyProxy.start()
        defer { proxy.stop() }
        let directory = TemporaryDirectory("flotilla-pushed-proxy")
        defer { directory.remove() }
        let (console, apiKey) = try await Self.console(on: fleet, in: directory)

        // Enrolled directly, by its public URL (no loopback shortcut: that never goes through a proxy).
        let url = "https://localhost:\(fleet.port)"
        let vault = AgentVault(directory: directory.file("agent"))
        try vault.save(try await Enrollment.enroll(url: url, token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: true), tags: []))
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 60)
        _ = try await runner.checkinOnce()
        let tunnels: @Sendable () -> Int = { proxy.log.components(separatedBy: "CONNECT localhost:\(fleet.port)").count - 1 }
        #expect(tunnels() == 0)

        try await ConsoleHarness.run(console, apiKey: apiKey) { client in
            let made = try await client.call(.post, "/api/fleet/proxies", ["name": "egress", "url": .string(proxy.url)])
            #expect(made.status == .ok, "\(made.text)")
            let proxyId = try #require(made.json[["item", "id"]]?.stringValue)
            let host: JSONValue = [
                "name": "main", "host_urls": .array([.string(url)]), "is_default": true, "proxy_id": .string(proxyId),
                "ssl": ["agent_certificate_authorities": [.string(certs.fleetCA)]],
            ]
            let saved = try await client.call(.post, "/api/fleet/fleet_server_hosts", host)
            #expect(saved.status == .ok, "\(saved.text)")
            let hostId = try #require(saved.json[["item", "id"]]?.stringValue)

            // The policy names the proxy; the agent tries it (GET /api/status through it), then uses it.
            _ = try await runner.checkinOnce()
            let through = try #require(try vault.load())
            #expect(through.rejectionReason == nil, "\(through.rejectionReason ?? "")")
            #expect(through.connection.policyProxy?.url == proxy.url)
            _ = try await runner.checkinOnce()
            #expect(tunnels() >= 1, "\(proxy.log)")

            // Taken off the host: the next policy has no proxy, and the agent connects directly again.
            let cleared = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(hostId)", ["proxy_id": .null])
            #expect(cleared.status == .ok, "\(cleared.text)")
            let policy = try await client.call(.get, "/api/fleet/agent_policies/\(through.policyId)/full")
            #expect(policy.json[["item", "fleet", "proxy_url"]] == nil, "\(policy.text)")
            _ = try await runner.checkinOnce()
            let direct = try #require(try vault.load())
            #expect(direct.connection.policyProxy == nil)
            #expect(direct.rejectionReason == nil, "\(direct.rejectionReason ?? "")")
            let before = tunnels()
            _ = try await runner.checkinOnce()
            _ = try await runner.checkinOnce()
            #expect(tunnels() == before, "\(proxy.log)")
        }
    }
}
