import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The agent's own key and the certificate its Fleet Server issues over it: enrolled over one-way TLS, then mutual
/// TLS with the issued certificate, renewed while a long poll waits.
@Suite(.timeLimit(.minutes(5))) struct CertificateRenewalTests {
    let certs = CertificateFixtures.shared

    func fleet(validity: String) async throws -> TestFleetServer {
        try await TestFleetServer.start(clientAuth: .none) { configuration in
            var settings = AgentCertificateSettings(certificate: certs.agentCA, key: certs.path("agent-ca.key"))
            settings.validity = validity
            configuration.agentCertificates = settings
        }
    }

    /// Enrolls into `fleet` as the agent does, dialling it on loopback; `mutual` presents the seed's certificate.
    func enroll(_ fleet: TestFleetServer, mutual: Bool = false) async throws -> AgentState {
        try await Enrollment.enroll(
            url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: mutual),
            options: FleetConnectionOptions(localFleetServerPort: fleet.port)
        )
    }

    @Test func theAgentEnrollsWithoutACertificateAndThenPresentsItsIssuedOne() async throws {
        let fleet = try await fleet(validity: "720h")
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        let state = try await enroll(fleet, mutual: false)
        let credential = try #require(state.issuedCredential)
        #expect(credential.subject == state.agentId)
        #expect(credential.key.contains("BEGIN PRIVATE KEY"))
        try vault.save(state)
        // The key is kept only in the encrypted state: no PEM in any file of the agent's directory.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let text = (try? String(contentsOfFile: directory.file(file), encoding: .utf8)) ?? ""
            #expect(!text.contains("PRIVATE KEY"), "\(file) holds a key in the clear")
            let mode = try FileManager.default.attributesOfItem(atPath: directory.file(file))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) is not 0600")
        }
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 120)
        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(await eventually(within: 20) {
            (try? await fleet.store.agent(id: state.agentId))??.certificateFingerprint == credential.fingerprint
        })
    }

    /// The seed's flow: a Fleet Server that demands client certificates at the handshake, an agent that enrolls
    /// with its hand-made one and moves to the certificate issued from its own key.
    @Test func anAgentEnrolledWithAHandMadeCertificateMovesToAnIssuedOne() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required) { configuration in
            configuration.agentCertificates = AgentCertificateSettings(certificate: certs.agentCA, key: certs.path("agent-ca.key"))
        }
        defer { Task { await fleet.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        let state = try await enroll(fleet, mutual: true)
        let issued = try #require(state.issuedCredential)
        let handMade = try #require(try CertificateFiles.loadChain(certs.agentCert, role: "agent certificate").first)
        #expect(issued.fingerprint != handMade.sha256Fingerprint)
        #expect(try await fleet.store.agent(id: state.agentId)?.certificateFingerprint == handMade.sha256Fingerprint)
        try vault.save(state)
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 120)
        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(await eventually(within: 20) {
            (try? await fleet.store.agent(id: state.agentId))??.certificateFingerprint == issued.fingerprint
        })
    }

    @Test func aShortLivedCertificateIsRenewedWhileTheLongPollWaits() async throws {
        let fleet = try await fleet(validity: "9s")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        let state = try await enroll(fleet, mutual: false)
        try vault.save(state)
        // The policy points Fleet back at this test server.
        var policy = try #require(try await fleet.store.policy(id: state.policyId))
        policy.body = #"{"inputs":[],"fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}"#
        try await fleet.store.savePolicy(policy)
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 300)
        let running = Task { await runner.run() }
        // The agent stops before the server: a server cancelled while agents still connect drops connections it
        // accepted but had not begun to serve, which NIO treats as a programming error.
        defer { Task { running.cancel(); await running.value; await fleet.stop() } }

        // The first check-in takes the policy; the second waits.
        #expect(await eventually(within: 30) { (try? vault.load())?.policyRevision ?? 0 > 0 && fleet.server.waitingCheckins == 1 })
        // Two renewals, one every six seconds; the long poll waits all the while.
        var everStopped = false
        let renewedTwice = await eventually(within: 40) {
            if fleet.server.waitingCheckins != 1 { everStopped = true }
            return (try? await fleet.store.issuedCertificates(agentId: state.agentId).count) ?? 0 >= 3
        }
        #expect(renewedTwice)
        #expect(!everStopped, "the long poll was cut while the certificate was renewed")
        #expect(runner.renewal.failure == nil)
        let renewed = try #require(try vault.load()?.issuedCredential)
        #expect(renewed.fingerprint != state.issuedCredential?.fingerprint)

        // The waiting poll still answers a change at once, and the check-in after it presents the new certificate.
        policy.body = #"{"inputs":[{"type":"system/metrics"}],"fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}"#
        let saved = try await fleet.store.savePolicy(policy)
        #expect(await eventually(within: 20) { (try? vault.load())?.policyRevision == saved.revision })
        #expect(await eventually(within: 20) {
            let presented = (try? await fleet.store.agent(id: state.agentId))??.certificateFingerprint
            let current = (try? vault.load())?.issuedCredential?.fingerprint
            return presented != nil && presented == current && presented != state.issuedCredential?.fingerprint
        })
    }
}
