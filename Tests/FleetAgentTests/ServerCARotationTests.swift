import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// A rotation of the Fleet Server CA under running agents, with `flotilla server ca server-rotate`: agents are sent
/// the new CA, the Fleet Server presents a certificate from it only once every agent has it, agents that reconnect
/// afterwards trust only the new CA, and the last phase rolls back.
@Suite(.timeLimit(.minutes(5))) struct ServerCARotationTests {
    let certs = CertificateFixtures.shared

    @Test func aFleetServerCARotationCutsNoAgentOff() async throws {
        let files = TemporaryDirectory("server-rotation")
        defer { files.remove() }
        let newCA = try PKI.makeCA(commonName: "Flotilla Fleet CA 2", validityDays: 3650)
        let authority = SigningAuthority(certificate: newCA.certificate, key: newCA.key.certificateKey)
        let serverCert = try PKI.issue(commonName: "localhost", purpose: .server, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], validityDays: 90, by: authority)
        let newCAPath = files.write("fleet-ca-2.crt", newCA.certificate.pemText)
        let nextCert = files.write("fleet-cert-2.crt", serverCert.certificate.pemText)
        let nextKey = files.write("fleet-cert-2.key", try serverCert.key.pem())
        let fleet = try await TestFleetServer.start(clientAuth: .none) { configuration in
            configuration.nextCertificate = nextCert
            configuration.nextKey = nextKey
        }
        let storeFlags = ["--fleet-server-es", fleet.directory.file("fleet.sqlite")]
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"{"inputs":[],"fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}"#
        try await fleet.store.savePolicy(policy)

        var vaults: [AgentVault] = []
        let directories = (0..<4).map { _ in TemporaryDirectory("server-rotation-agent") }
        for directory in directories {
            let vault = AgentVault(directory: directory.path)
            try vault.save(try await Enrollment.enroll(
                url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: false),
                options: FleetConnectionOptions(localFleetServerPort: fleet.port)
            ))
            vaults.append(vault)
        }
        let tasks = LockedBox<[Task<Void, Never>]>([])
        func start(_ vault: AgentVault) {
            let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: 300)
            tasks.withLock { $0.append(Task { await runner.run() }) }
        }
        func stopAll() async {
            for task in tasks.withLock({ list in defer { list = [] }; return list }) { task.cancel(); await task.value }
        }
        // Agents stop before the server, and every file goes after both.
        defer { Task { await stopAll(); await fleet.stop(); for directory in directories { directory.remove() } } }
        for vault in vaults.prefix(3) { start(vault) }
        #expect(await eventually(within: 60) { fleet.server.waitingCheckins == 3 })
        func rotate(_ arguments: [String]) async throws -> ProcessResult {
            try await flotilla(["server", "ca", "server-rotate"] + arguments + storeFlags)
        }
        func trusted(_ vault: AgentVault) -> Int { (try? vault.load())?.fleetTLS.certificateAuthorities.count ?? 0 }
        /// Every agent restarted (on new connections) and checked in since `moment`.
        func everyAgentCheckedIn(since moment: Date) async -> Bool {
            await eventually(within: 60) {
                let agents = (try? await fleet.store.agents()) ?? []
                return agents.count == 4 && agents.allSatisfy { ($0.lastCheckinAt ?? .distantPast) > moment }
            }
        }

        // Phase 1: the running agents are sent both CAs; the switched-off one is not, so phase 2 must wait for it.
        let started = try await rotate(["start", "--fleet-ca", certs.fleetCA, "--next-fleet-ca", newCAPath])
        #expect(started.status == 0, "\(started.output)")
        for vault in vaults.prefix(3) { #expect(await eventually(within: 60) { trusted(vault) == 2 }) }
        #expect(await eventually(within: 60) {
            guard let rotation = try? await fleet.store.serverCARotation() else { return false }
            return (try? await fleet.store.progress(of: rotation).trusting) == 3
        })
        let early = try await rotate(["next"])
        #expect(early.status != 0)
        #expect(early.output.contains("1 active agent does not run a policy with the new Fleet Server CA yet"), "\(early.output)")
        start(vaults[3])
        #expect(await eventually(within: 60) { trusted(vaults[3]) == 2 && fleet.server.waitingCheckins == 4 })
        #expect(await eventually(within: 30) { (try? await rotate(["next"]))?.status == 0 })

        // Phase 2: the listener presents the certificate from the new CA, as openssl sees it.
        #expect(await fleet.logs.waitForMessage(containing: "presents the next certificate") != nil)
        let presented = try await ProcessRunner.run("openssl", ["s_client", "-connect", "127.0.0.1:\(fleet.port)", "-servername", "localhost", "-CAfile", newCAPath, "-verify_return_error"], stdin: "")
        #expect(presented.output.contains("Verify return code: 0"), "\(presented.output)")
        // Every agent checks in again (a change wakes them) over a connection that now meets the new certificate.
        await stopAll()
        let restarted = Date()
        for vault in vaults { start(vault) }
        #expect(await everyAgentCheckedIn(since: restarted))
        #expect(await eventually(within: 30) { (try? await rotate(["next"]))?.status == 0 })

        // Phase 3: agents are sent only the new CA, and reconnect with it alone.
        for vault in vaults { #expect(await eventually(within: 60) { trusted(vault) == 1 }) }
        await stopAll()
        let retired = Date()
        for vault in vaults { start(vault) }
        #expect(await everyAgentCheckedIn(since: retired), "an agent trusting only the new CA did not come back")

        // Back to phase 2: both CAs again.
        let back = try await rotate(["rollback"])
        #expect(back.status == 0, "\(back.output)")
        for vault in vaults { #expect(await eventually(within: 60) { trusted(vault) == 2 }) }
    }
}
