import FleetTLS
import Foundation
import TestSupport
import Testing

/// Real handshakes on loopback between our client and our server, for the whole matrix of one-way and mutual TLS,
/// and the sentence each failure becomes on both sides.
@Suite(.timeLimit(.minutes(5))) struct HandshakeTests {
    let certs = CertificateFixtures.shared

    /// Starts a server, runs `body`, stops it.
    func withServer(_ settings: TLSSettings, _ body: (TestHTTPSServer) async throws -> Void) async throws {
        let server = try await TestHTTPSServer.start(settings)
        do {
            try await body(server)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    func get(_ server: TestHTTPSServer, _ settings: TLSSettings, host: String = "localhost") async throws -> TLSProbe.Response {
        try await TLSProbe.get(host: host, port: server.port, client: TLSClientContext(settings: settings), connectHost: "127.0.0.1")
    }

    func failure(_ server: TestHTTPSServer, _ settings: TLSSettings, host: String = "localhost") async -> FlotillaError? {
        do {
            _ = try await get(server, settings, host: host)
            return nil
        } catch {
            return error as? FlotillaError ?? FlotillaError("unexpected \(error)")
        }
    }

    static let versions: [TLSSettings.ProtocolVersion] = [.tls12, .tls13]

    @Test(arguments: versions)
    func oneWayTLSVerifiesTheServerAgainstFleetCA(version: TLSSettings.ProtocolVersion) async throws {
        var settings = certs.serverSettings
        settings.supportedProtocols = [version]
        try await withServer(settings) { server async throws in
            let response = try await get(server, certs.clientSettings())
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.body == "client=anonymous")
            #expect(response.serverChain.map(\.displayName) == ["localhost", "Flotilla Fleet CA"])
        }
    }

    @Test(arguments: versions)
    func mutualTLSPresentsTheAgentCertificateWithItsEncryptedKey(version: TLSSettings.ProtocolVersion) async throws {
        var settings = certs.serverSettings(clientAuth: .required)
        settings.supportedProtocols = [version]
        try await withServer(settings) { server async throws in
            let response = try await get(server, certs.clientSettings(mutual: true))
            #expect(response.body == "client=flotilla-agent")
        }
    }

    @Test(arguments: versions)
    func requiredClientAuthRejectsAgentWithoutCertificate(version: TLSSettings.ProtocolVersion) async throws {
        var settings = certs.serverSettings(clientAuth: .required)
        settings.supportedProtocols = [version]
        try await withServer(settings) { server async throws in
            let error = try #require(await failure(server, certs.clientSettings()))
            #expect(error.message.contains("requires a client certificate and none was given"))
            #expect(await server.logs.waitForMessage(containing: "presented no certificate and client auth is required") != nil)
        }
    }

    @Test(arguments: versions)
    func requiredClientAuthRejectsAgentFromUntrustedCA(version: TLSSettings.ProtocolVersion) async throws {
        var settings = certs.serverSettings(clientAuth: .required)
        settings.supportedProtocols = [version]
        try await withServer(settings) { server async throws in
            var client = certs.clientSettings()
            client.certificate = certs.path("rogue-agent.crt")
            client.key = certs.path("rogue-agent.key")
            let error = try #require(await failure(server, client))
            #expect(error.message.contains("does not trust this client's certificate rogue-agent"))
            let logged = await server.logs.waitForMessage(containing: "Refused the client")
            #expect(logged?.contains("rogue-agent is issued by Rogue CA, which is not among the trusted CAs (Flotilla Agent CA)") == true)
        }
    }

    @Test func optionalClientAuthAcceptsAnonymousAndCertifiedAgents() async throws {
        try await withServer(certs.serverSettings(clientAuth: .optional)) { server async throws in
            #expect(try await get(server, certs.clientSettings()).body == "client=anonymous")
            #expect(try await get(server, certs.clientSettings(mutual: true)).body == "client=flotilla-agent")
        }
    }

    @Test func optionalClientAuthRejectsAgentFromUntrustedCA() async throws {
        try await withServer(certs.serverSettings(clientAuth: .optional)) { server async throws in
            var client = certs.clientSettings()
            client.certificate = certs.path("rogue-agent.crt")
            client.key = certs.path("rogue-agent.key")
            let error = try #require(await failure(server, client))
            #expect(error.message.contains("does not trust this client's certificate rogue-agent"))
        }
    }

    @Test func noClientAuthNeverAsksForACertificate() async throws {
        try await withServer(certs.serverSettings(clientAuth: .none)) { server async throws in
            // An agent that has a certificate is not asked for it, so the server sees an anonymous client.
            #expect(try await get(server, certs.clientSettings(mutual: true)).body == "client=anonymous")
        }
    }

    @Test func serverCertificateFromUnknownCAIsExplained() async throws {
        try await withServer(TLSSettings(certificate: certs.path("rogue-server.crt"), key: certs.path("rogue-server.key"))) { server async throws in
            let error = try #require(await failure(server, certs.clientSettings()))
            #expect(error.message.contains("Refused the Fleet Server at localhost:\(server.port)"))
            #expect(error.message.contains("issued by Rogue CA, which is not among the trusted CAs (Flotilla Fleet CA)"))
            #expect(error.hint?.contains("--certificate-authorities") == true)
            #expect(await server.logs.waitForMessage(containing: "refused this server's certificate") != nil)
        }
    }

    @Test func serverCertificateMissingItsIntermediateIsExplained() async throws {
        try await withServer(TLSSettings(certificate: certs.path("leaf-only.crt"), key: certs.path("leaf-only.key"))) { server async throws in
            let error = try #require(await failure(server, certs.clientSettings()))
            #expect(error.message.contains("issued by Fleet Intermediate CA"))
            #expect(error.message.contains("missing intermediate"))
        }
    }

    @Test func serverSendingItsIntermediateIsTrusted() async throws {
        try await withServer(TLSSettings(certificate: certs.path("leaf-with-intermediate.crt"), key: certs.path("leaf-with-intermediate.key"))) { server async throws in
            let response = try await get(server, certs.clientSettings())
            #expect(response.serverChain.map(\.displayName) == ["behind-intermediate", "Fleet Intermediate CA", "Flotilla Fleet CA"])
        }
    }

    @Test func serverCertificateSignedByAnotherCAWithTheSameChainIsRefusedAsWrongIssuer() async throws {
        try await withServer(TLSSettings(certificate: certs.path("leaf-with-intermediate.crt"), key: certs.path("leaf-with-intermediate.key"))) { server async throws in
            var client = certs.clientSettings()
            client.certificateAuthorities = [certs.path("rogue-ca.crt")]
            let error = try #require(await failure(server, client))
            #expect(error.message.contains("Fleet Intermediate CA is issued by Flotilla Fleet CA, which is not among the trusted CAs (Rogue CA) (wrong issuer)"))
        }
    }

    @Test func expiredServerCertificateIsExplained() async throws {
        // The server refuses to load an expired certificate itself; openssl serves it to show the client's side.
        let server = try OpenSSLServer.start(certificate: certs.path("expired-server.crt"), key: certs.path("expired-server.key"))
        defer { server.stop() }
        do {
            _ = try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: certs.clientSettings()), connectHost: "127.0.0.1")
            Issue.record("an expired server certificate was accepted")
        } catch {
            #expect(error.message.contains("The server's certificate expired-server expired on"))
        }
    }

    @Test func hostNameNotInServerCertificateIsExplained() async throws {
        try await withServer(TLSSettings(certificate: certs.path("other-host.crt"), key: certs.path("other-host.key"))) { server async throws in
            let error = try #require(await failure(server, certs.clientSettings()))
            #expect(error.message.contains("is for elsewhere.example, not for localhost"))
        }
    }

    @Test func hostNameIsCheckedForTheNameAskedNotTheAddressDialled() async throws {
        try await withServer(certs.serverSettings) { server async throws in
            // Dialling 127.0.0.1 while naming fleet.flotilla.test: the certificate names it, so it is accepted.
            #expect(try await get(server, certs.clientSettings(), host: "fleet.flotilla.test").statusLine == "HTTP/1.1 200 OK")
            let error = try #require(await failure(server, certs.clientSettings(), host: "fleet.other.test"))
            #expect(error.message.contains("not for fleet.other.test"))
        }
    }

    @Test func clientCertificateUsedAsServerCertificateIsExplained() async throws {
        try await withServer(TLSSettings(certificate: certs.path("agent-as-server.crt"), key: certs.path("agent-as-server.key"))) { server async throws in
            let error = try #require(await failure(server, certs.clientSettings()))
            #expect(error.message.contains("is a client certificate, not a server certificate"))
        }
    }

    @Test func verificationModeCertificateSkipsOnlyTheHostName() async throws {
        try await withServer(TLSSettings(certificate: certs.path("other-host.crt"), key: certs.path("other-host.key"))) { server async throws in
            var client = certs.clientSettings()
            client.verificationMode = .certificate
            #expect(try await get(server, client).statusLine == "HTTP/1.1 200 OK")
            client.certificateAuthorities = [certs.path("rogue-ca.crt")]
            #expect(await failure(server, client) != nil)
        }
    }

    @Test func verificationModeNoneAcceptsAnyServer() async throws {
        try await withServer(TLSSettings(certificate: certs.path("rogue-server.crt"), key: certs.path("rogue-server.key"))) { server async throws in
            let client = TLSSettings(verificationMode: .none)
            #expect(try await get(server, client).statusLine == "HTTP/1.1 200 OK")
        }
    }

    @Test func caSha256PinMustMatchACertificateOfTheChain() async throws {
        try await withServer(certs.serverSettings) { server async throws in
            let caPin = try TLSClientContext(settings: certs.clientSettings()).verifier(host: nil).authorities[0].spkiPin
            var client = certs.clientSettings()
            client.caSha256 = [caPin]
            #expect(try await get(server, client).statusLine == "HTTP/1.1 200 OK")
            client.caSha256 = ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
            let error = try #require(await failure(server, client))
            #expect(error.message.contains("matches the ca_sha256 pin"))
        }
    }

    @Test func caTrustedFingerprintTrustsTheCASentInTheChain() async throws {
        try await withServer(TLSSettings(certificate: certs.path("fleet-with-ca.crt"), key: certs.path("fleet-with-ca.key"))) { server async throws in
            let fingerprint = try #require(try await get(server, certs.clientSettings()).serverChain.last?.sha256Fingerprint)
            // No CA files at all: only the fingerprint makes the chain trusted.
            let pinned = TLSSettings(caTrustedFingerprint: fingerprint.uppercased())
            #expect(try await get(server, pinned).serverChain.last?.displayName == "Flotilla Fleet CA")
            let wrong = TLSSettings(caTrustedFingerprint: String(repeating: "ab", count: 32))
            #expect(await failure(server, wrong) != nil)
        }
    }

    @Test func noSharedTLSVersionIsExplained() async throws {
        var settings = certs.serverSettings
        settings.supportedProtocols = [.tls13]
        try await withServer(settings) { server async throws in
            var client = certs.clientSettings()
            client.supportedProtocols = [.tls12]
            let error = try #require(await failure(server, client))
            #expect(error.message.contains("share no TLS version"))
        }
    }

    @Test func nothingListeningIsExplained() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings)
        let port = server.port
        try await server.stop()
        do {
            _ = try await TLSProbe.get(host: "127.0.0.1", port: port, client: TLSClientContext(settings: certs.clientSettings()))
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.message.contains("Nothing accepts connections"))
        }
    }
}
