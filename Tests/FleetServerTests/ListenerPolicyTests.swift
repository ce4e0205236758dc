import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The Fleet Server applies the listener settings the console pushes in its own policy (`inputs[fleet-server]
/// .server.ssl`): new connections get them, open ones continue, and settings that do not load keep the last good
/// ones with the status DEGRADED.
@Suite(.timeLimit(.minutes(2))) struct ListenerPolicyTests {
    let certs = CertificateFixtures.shared

    /// The certificate a new connection is shown.
    func presented(_ fleet: TestFleetServer) async throws -> String? {
        var client = certs.clientSettings()
        client.verificationMode = .certificate
        return try await TLSProbe.get(host: "localhost", port: fleet.port, client: TLSClientContext(settings: client), connectHost: "127.0.0.1")
            .serverChain.first?.displayName
    }

    func setListener(_ fleet: TestFleetServer, certificate: String, key: String) async throws {
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.fleetServerPolicyId))
        let body: JSONValue = ["inputs": [["type": "fleet-server", "server": ["ssl": ["certificate": .string(certificate), "key": .string(key)]]]]]
        policy.body = String(decoding: try body.jsonData(), as: UTF8.self)
        try await fleet.store.savePolicy(policy)
    }

    func status(_ fleet: TestFleetServer) async throws -> String? {
        let reply = try await fleet.client().send("GET", "/api/status")
        return try reply.decode(StatusResponse.self).status
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func pushedListenerCertificateReachesNewConnectionsWhileOpenOnesContinue() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let open = try await KeepAliveClient(host: "localhost", port: fleet.port, client: TLSClientContext(settings: certs.clientSettings()))
        _ = try await open.get()
        let before = try #require(open.report.serverChain.first?.displayName)
        #expect(try await presented(fleet) == before)
        try await setListener(fleet, certificate: certs.path("fleet-with-ca.crt"), key: certs.path("fleet-with-ca.key"))
        #expect(try await eventually { try await presented(fleet) == "fleet-with-ca" })
        _ = try await open.get()
        #expect(open.report.serverChain.first?.displayName == before)
        try await open.close()
        #expect(try await status(fleet) == "HEALTHY")
    }

    @Test func listenerSettingsThatDoNotLoadKeepThePreviousOnesAndSayDegraded() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let before = try await presented(fleet)
        try await setListener(fleet, certificate: certs.path("fleet-with-ca.crt"), key: certs.path("no-such.key"))
        #expect(try await eventually { try await status(fleet) == "DEGRADED" })
        #expect(try await presented(fleet) == before)
        try await setListener(fleet, certificate: certs.path("fleet-with-ca.crt"), key: certs.path("fleet-with-ca.key"))
        #expect(try await eventually { try await status(fleet) == "HEALTHY" })
        #expect(try await presented(fleet) == "fleet-with-ca")
    }
}
