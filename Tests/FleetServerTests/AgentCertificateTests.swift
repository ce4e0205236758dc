import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Agent certificates issued by the Fleet Server from the agent's own CSR, with curl and openssl as the agents: the
/// certificate openssl verifies, the binding to the agent, renewal, the grace after expiry, and revocation.
@Suite(.timeLimit(.minutes(5))) struct AgentCertificateTests {
    let certs = CertificateFixtures.shared

    /// A Fleet Server with the fixtures' agent CA as its issuing CA, and `client_auth` left at none (so: optional).
    func fleet(validity: String = "720h", grace: String = "720h") async throws -> TestFleetServer {
        try await TestFleetServer.start(clientAuth: .none) { configuration in
            var settings = AgentCertificateSettings(certificate: certs.agentCA, key: certs.path("agent-ca.key"))
            settings.validity = validity
            settings.expiredRenewalGrace = grace
            configuration.agentCertificates = settings
        }
    }

    /// One agent as openssl and curl play it: its key and CSR made by openssl, its requests sent by curl.
    struct CurlAgent {
        let directory: TemporaryDirectory
        let port: Int
        var id = ""
        var apiKey = ""
        var key: String { directory.file("agent.key") }
        var certificate: String { directory.file("agent.crt") }

        init(port: Int) async throws {
            directory = TemporaryDirectory("curl-agent")
            self.port = port
            try await newKey()
        }

        /// A fresh P-256 key and a CSR over it, both by openssl.
        func newKey(name: String = "agent") async throws {
            let made = try await ProcessRunner.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory.file("\(name).key")])
            #expect(made.status == 0, "\(made.output)")
            let csr = try await ProcessRunner.run("openssl", ["req", "-new", "-key", directory.file("\(name).key"), "-subj", "/CN=curl-agent", "-out", directory.file("\(name).csr")])
            #expect(csr.status == 0, "\(csr.output)")
        }

        func csr(_ name: String = "agent") throws -> String {
            try String(contentsOfFile: directory.file("\(name).csr"), encoding: .utf8)
        }

        /// curl's answer: the body and the status code (0 when no HTTP answer came).
        func curl(_ path: String, body: String, authorization: String, presenting: Bool) async throws -> (status: Int, body: String, exit: Int32) {
            try body.write(toFile: directory.file("body.json"), atomically: true, encoding: .utf8)
            // The header travels in a file: nothing secret on a command line, even in a test.
            try "Authorization: \(authorization)\nContent-Type: application/json\n".write(toFile: directory.file("headers"), atomically: true, encoding: .utf8)
            var arguments = [
                "-sS", "--max-time", "20", "--cacert", CertificateFixtures.shared.fleetCA, "-H", "@\(directory.file("headers"))",
                "--data-binary", "@\(directory.file("body.json"))", "-w", "\n%{http_code}", "https://localhost:\(port)\(path)",
            ]
            if presenting { arguments += ["--cert", certificate, "--key", key] }
            let result = try await ProcessRunner.run("curl", arguments)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"), result.status)
        }

        /// Enrolls with the CSR and keeps the issued certificate in `agent.crt`.
        mutating func enroll(token: String) async throws -> EnrollResponse {
            let request = EnrollRequest(type: "PERMANENT", metadata: EnrollMetadata(local: .object([:])), csr: try csr())
            let reply = try await curl(FleetAPIPath.enroll, body: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), authorization: "ApiKey \(token)", presenting: false)
            #expect(reply.status == 200, "\(reply.body)")
            let response = try JSONDecoder().decode(EnrollResponse.self, from: Data(reply.body.utf8))
            id = response.item.id
            apiKey = response.item.accessAPIKey
            if let issued = response.item.certificate {
                try issued.certificate.write(toFile: certificate, atomically: true, encoding: .utf8)
            }
            return response
        }

        func checkin(presenting: Bool = true, apiKey: String? = nil) async throws -> (status: Int, body: String, exit: Int32) {
            // A short poll: the answer is "nothing new" after the server's minimum wait, or a policy at once.
            try await curl(FleetAPIPath.checkin(agentID: id), body: #"{"status":"online","message":"","poll_timeout":"1s"}"#, authorization: "ApiKey \(apiKey ?? self.apiKey)", presenting: presenting)
        }

        func renew(csrName: String = "agent", presenting: Bool) async throws -> (status: Int, body: String, exit: Int32) {
            let body = String(decoding: try JSONEncoder().encode(CertificateRequest(csr: try csr(csrName))), as: UTF8.self)
            return try await curl(FleetAPIPath.certificate(agentID: id), body: body, authorization: "ApiKey \(apiKey)", presenting: presenting)
        }
    }

    @Test func anOpenSSLCSRBuysACertificateBoundToTheAgentWhichOpenSSLVerifies() async throws {
        let fleet = try await fleet()
        defer { Task { await fleet.stop() } }
        var agent = try await CurlAgent(port: fleet.port)
        defer { agent.directory.remove() }
        let response = try await agent.enroll(token: fleet.enrollmentToken)
        let issued = try #require(response.item.certificate)

        let verify = try await ProcessRunner.run("openssl", ["verify", "-purpose", "sslclient", "-CAfile", certs.agentCA, agent.certificate])
        #expect(verify.status == 0, "\(verify.output)")
        let text = try await ProcessRunner.run("openssl", ["x509", "-in", agent.certificate, "-noout", "-text"]).stdout
        #expect(text.contains("URI:urn:flotilla:agent:\(agent.id)"))
        #expect(text.contains("CN=\(agent.id)") || text.contains("CN = \(agent.id)"))
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(!text.contains("TLS Web Server Authentication"))
        #expect(text.contains("CA:FALSE"))
        // The certificate is over the agent's own key: openssl's public key of both is the same.
        let fromKey = try await ProcessRunner.run("openssl", ["pkey", "-in", agent.key, "-pubout"]).stdout
        let fromCertificate = try await ProcessRunner.run("openssl", ["x509", "-in", agent.certificate, "-noout", "-pubkey"]).stdout
        #expect(fromKey == fromCertificate && !fromKey.isEmpty)
        // The default lifetime is 30 days, and renewal is due after two thirds of it.
        let notAfter = try #require(RFC3339.date(from: issued.notAfter))
        #expect(abs(notAfter.timeIntervalSinceNow - 30 * 86_400) < 120)
        let renewAfter = try #require(RFC3339.date(from: issued.renewAfter))
        #expect(abs(renewAfter.timeIntervalSinceNow - 20 * 86_400) < 600)
        let stored = try await fleet.store.issuedCertificates(agentId: agent.id)
        #expect(stored.count == 1 && stored.first?.revokedAt == nil)
        // The Fleet Server published its own certificate for the console's inventory.
        let served = try #require(try CertificateFiles.loadChain(certs.fleetCert, role: "server certificate").first)
        let published = try await fleet.store.fleetServerCertificates().flatMap(\.certificates)
        #expect(published.contains { $0.use == "server certificate" && $0.fingerprint == served.sha256Fingerprint })

        // After enrollment a certificate is needed: with it the check-in goes through, without it it is refused.
        let withCertificate = try await agent.checkin()
        #expect(withCertificate.status == 200, "\(withCertificate.body)")
        let without = try await agent.checkin(presenting: false)
        #expect(without.status == 403)
        #expect(without.body.contains("needs a client certificate after enrollment"), "\(without.body)")
    }

    @Test func aCertificateOfOneAgentWithAnotherAgentsKeyIsRefused() async throws {
        let fleet = try await fleet()
        defer { Task { await fleet.stop() } }
        var first = try await CurlAgent(port: fleet.port), second = try await CurlAgent(port: fleet.port)
        defer { first.directory.remove(); second.directory.remove() }
        _ = try await first.enroll(token: fleet.enrollmentToken)
        _ = try await second.enroll(token: fleet.enrollmentToken)
        // The first agent's certificate and key, with the second agent's API key and path.
        var impostor = first
        impostor.id = second.id
        let reply = try await impostor.checkin(apiKey: second.apiKey)
        #expect(reply.status == 403)
        #expect(reply.body.contains("belongs to agent \(first.id), not to agent \(second.id)"), "\(reply.body)")
        #expect(await fleet.logs.waitForMessage(containing: "its client certificate belongs to agent \(first.id), but its API key to agent \(second.id)") != nil)
        #expect(try await second.checkin().status == 200)
    }

    @Test func aCSRThatIsNotValidIsRefusedBeforeAnythingIsWritten() async throws {
        let fleet = try await fleet()
        defer { Task { await fleet.stop() } }
        let agent = try await CurlAgent(port: fleet.port)
        defer { agent.directory.remove() }
        let weak = try await ProcessRunner.run("openssl", ["req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", agent.directory.file("weak.key"), "-subj", "/CN=weak", "-out", agent.directory.file("weak.csr")])
        #expect(weak.status == 0, "\(weak.output)")
        let cases: [(csr: String, sentence: String)] = [
            ("not a CSR", "holds no PEM certificate signing request"),
            (try agent.csr("weak"), "such as RSA under 2048 bits"),
        ]
        for (csr, sentence) in cases {
            let request = EnrollRequest(type: "PERMANENT", metadata: EnrollMetadata(local: .object([:])), csr: csr)
            let reply = try await agent.curl(FleetAPIPath.enroll, body: String(decoding: try JSONEncoder().encode(request), as: UTF8.self), authorization: "ApiKey \(fleet.enrollmentToken)", presenting: false)
            #expect(reply.status == 400)
            #expect(reply.body.contains(sentence), "\(reply.body)")
        }
        // No CSR and no certificate: such an agent could never check in here, so it is told before a use is spent.
        let bare = EnrollRequest(type: "PERMANENT", metadata: EnrollMetadata(local: .object([:])))
        let refused = try await agent.curl(FleetAPIPath.enroll, body: String(decoding: try JSONEncoder().encode(bare), as: UTF8.self), authorization: "ApiKey \(fleet.enrollmentToken)", presenting: false)
        #expect(refused.status == 400)
        #expect(refused.body.contains("issues one only from a CSR"), "\(refused.body)")
        #expect(try await fleet.store.agents().isEmpty)
        #expect(try await fleet.store.issuedCertificates(agentId: nil).isEmpty)
        #expect(try await fleet.store.enrollmentTokens().allSatisfy { $0.uses == 0 })
    }

    @Test func anAgentRenewsOverMutualTLSAndAfterExpiryWithinTheGrace() async throws {
        let fleet = try await fleet(validity: "15s", grace: "10m")
        defer { Task { await fleet.stop() } }
        var agent = try await CurlAgent(port: fleet.port)
        defer { agent.directory.remove() }
        _ = try await agent.enroll(token: fleet.enrollmentToken)

        // While the certificate is valid, the API key alone buys no other one: renewal needs the certificate.
        let keyOnly = try await agent.renew(presenting: false)
        #expect(keyOnly.status == 403)
        #expect(keyOnly.body.contains("holds a valid client certificate"), "\(keyOnly.body)")

        // Renewal with the current certificate, over a fresh key.
        try await agent.newKey(name: "next")
        let renewed = try await agent.renew(csrName: "next", presenting: true)
        #expect(renewed.status == 200, "\(renewed.body)")
        let answer = try JSONDecoder().decode(IssuedCertificate.self, from: Data(renewed.body.utf8))
        try answer.certificate.write(toFile: agent.certificate, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: agent.key)
        try FileManager.default.moveItem(atPath: agent.directory.file("next.key"), toPath: agent.key)
        #expect(try await agent.checkin().status == 200)
        #expect(try await fleet.store.issuedCertificates(agentId: agent.id).count == 2)

        // Once it expired, the agent can no longer present it; its API key alone buys a new one within the grace.
        let notAfter = try #require(RFC3339.date(from: answer.notAfter))
        #expect(await eventually(within: 40) { Date() > notAfter.addingTimeInterval(1) })
        let expired = try await agent.checkin()
        #expect(expired.status != 200)
        let comeback = try await agent.renew(presenting: false)
        #expect(comeback.status == 200, "\(comeback.body)")
        #expect(await fleet.logs.waitForMessage(containing: "its API key alone") != nil)
    }

    @Test func anAgentBeyondTheGraceIsToldToEnrollAgain() async throws {
        let fleet = try await fleet(validity: "2s", grace: "0s")
        defer { Task { await fleet.stop() } }
        var agent = try await CurlAgent(port: fleet.port)
        defer { agent.directory.remove() }
        let response = try await agent.enroll(token: fleet.enrollmentToken)
        let notAfter = try #require(response.item.certificate.flatMap { RFC3339.date(from: $0.notAfter) })
        #expect(await eventually(within: 40) { Date() > notAfter.addingTimeInterval(1) })
        let refused = try await agent.renew(presenting: false)
        #expect(refused.status == 403)
        #expect(refused.body.contains("expired at"), "\(refused.body)")
        #expect(refused.body.contains("enroll this agent again"), "\(refused.body)")
    }

    @Test func revocationClosesTheOpenConnectionAndRefusesTheNextHandshake() async throws {
        let fleet = try await fleet()
        defer { Task { await fleet.stop() } }
        var agent = try await CurlAgent(port: fleet.port)
        defer { agent.directory.remove() }
        _ = try await agent.enroll(token: fleet.enrollmentToken)
        #expect(try await agent.checkin().status == 200)

        // An open connection with the agent's certificate: openssl s_client, waiting.
        let open = try BackgroundProcess("/usr/bin/openssl", [
            "s_client", "-connect", "127.0.0.1:\(fleet.port)", "-servername", "localhost", "-CAfile", certs.fleetCA,
            "-cert", agent.certificate, "-key", agent.key, "-ign_eof",
        ])
        defer { open.stop() }
        _ = try await open.line(containing: "Verify return code: 0", within: 20)
        #expect(await eventually(within: 20) { fleet.server.openConnections >= 1 })

        try await fleet.store.revokeAgentKey(agentId: agent.id)
        #expect(await open.terminate(signal: 0, within: 20) != nil, "the server did not close the revoked agent's connection")
        #expect(await fleet.logs.waitForMessage(containing: "Closed the connection of \(agent.id)") != nil)
        #expect(try await fleet.store.issuedCertificates(agentId: agent.id).first?.revokedAt != nil)

        // The next handshake with the certificate gets no answer: the connection is closed before a request is read.
        let next = try await agent.checkin()
        #expect(next.status == 0 || next.status == 403, "\(next.body)")
        #expect(await fleet.logs.waitForMessage(containing: "Refused the client certificate \(agent.id)") != nil)
    }
}
