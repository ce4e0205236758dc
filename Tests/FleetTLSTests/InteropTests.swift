import FleetTLS
import Foundation
import TestSupport
import Testing

/// Peers we did not write: curl and `openssl s_client` against our server, our client against `openssl s_server`.
@Suite(.timeLimit(.minutes(5))) struct InteropTests {
    let certs = CertificateFixtures.shared

    func curl(_ server: TestHTTPSServer, _ extra: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run("curl", ["-sS", "--max-time", "10", "--resolve", "localhost:\(server.port):127.0.0.1", "--cacert", certs.fleetCA] + extra + ["https://localhost:\(server.port)/"])
    }

    func passphrase() throws -> String {
        try String(contentsOfFile: certs.agentPassphrase, encoding: .utf8)
    }

    @Test func curlVerifiesOurServerWithFleetCA() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings)
        defer { Task { try await server.stop() } }
        let result = try await curl(server, [])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "client=anonymous")
    }

    @Test func curlPresentsTheAgentCertificateWithItsEncryptedKey() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await server.stop() } }
        let result = try await curl(server, ["--cert", certs.agentCert, "--key", certs.agentKey, "--pass", try passphrase()])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "client=flotilla-agent")
    }

    @Test func curlWithoutCertificateIsRefusedWhenClientAuthIsRequired() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await server.stop() } }
        let result = try await curl(server, [])
        #expect(result.status != 0)
        #expect(!result.stdout.contains("client="))
        #expect(await server.logs.waitForMessage(containing: "presented no certificate and client auth is required") != nil)
    }

    @Test func curlWithExpiredCertificateIsRefusedAndTheServerSaysWhy() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await server.stop() } }
        let result = try await curl(server, ["--cert", certs.path("expired-agent.crt"), "--key", certs.path("expired-agent.key")])
        #expect(result.status != 0)
        let logged = await server.logs.waitForMessage(containing: "Refused the client")
        #expect(logged?.contains("The client's certificate expired-agent expired on") == true, "\(logged ?? "nothing logged")")
    }

    @Test func curlFromUntrustedCAIsRefusedUnderOptionalClientAuth() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .optional))
        defer { Task { try await server.stop() } }
        #expect(try await curl(server, []).stdout == "client=anonymous")
        let rogue = try await curl(server, ["--cert", certs.path("rogue-agent.crt"), "--key", certs.path("rogue-agent.key")])
        #expect(rogue.status != 0)
        #expect(await server.logs.waitForMessage(containing: "issued by Rogue CA") != nil)
    }

    @Test func opensslClientVerifiesOurServerAndSeesWhichCAsItAsksFor() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await server.stop() } }
        let result = try await ProcessRunner.run("openssl", [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
            "-CAfile", certs.fleetCA, "-verify_return_error", "-verify_hostname", "localhost",
            "-cert", certs.agentCert, "-key", certs.agentKey, "-pass", "file:\(certs.agentPassphrase)", "-ign_eof",
        ], stdin: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(result.output)")
        #expect(result.stdout.contains("Acceptable client certificate CA names"))
        #expect(result.stdout.contains("Flotilla Agent CA"))
        #expect(result.stdout.contains("client=flotilla-agent"))
    }

    @Test func opensslClientIsNotAskedForACertificateWithoutClientAuth() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings)
        defer { Task { try await server.stop() } }
        let result = try await ProcessRunner.run("openssl", [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", certs.fleetCA, "-verify_return_error",
        ], stdin: "")
        #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(result.output)")
        #expect(result.stdout.contains("No client certificate CA names sent"))
    }

    static let versions: [(String, TLSSettings.ProtocolVersion)] = [("-tls1_2", .tls12), ("-tls1_3", .tls13)]

    @Test(arguments: versions)
    func ourClientPresentsItsCertificateToOpenSSLServer(flag: String, version: TLSSettings.ProtocolVersion) async throws {
        let server = try OpenSSLServer.start(certificate: certs.fleetCert, key: certs.fleetKey, verifyClientsWith: certs.agentCA, extra: [flag])
        defer { server.stop() }
        var client = certs.clientSettings(mutual: true)
        client.supportedProtocols = [version]
        let response = try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: client), connectHost: "127.0.0.1")
        #expect(response.statusLine.contains("200"))
        #expect(response.body.contains("flotilla-agent"))  // s_server -www echoes the client certificate's subject
    }

    @Test(arguments: versions)
    func openSSLServerRefusingOurMissingCertificateIsExplained(flag: String, version: TLSSettings.ProtocolVersion) async throws {
        let server = try OpenSSLServer.start(certificate: certs.fleetCert, key: certs.fleetKey, verifyClientsWith: certs.agentCA, extra: [flag])
        defer { server.stop() }
        do {
            _ = try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: certs.clientSettings()), connectHost: "127.0.0.1")
            Issue.record("openssl s_server -Verify 1 accepted a client without a certificate")
        } catch {
            #expect(error.message.contains("requires a client certificate and none was given"))
        }
    }

    @Test func openSSLServerRefusingOurUntrustedCertificateIsExplained() async throws {
        let server = try OpenSSLServer.start(certificate: certs.fleetCert, key: certs.fleetKey, verifyClientsWith: certs.agentCA)
        defer { server.stop() }
        var client = certs.clientSettings()
        client.certificate = certs.path("rogue-agent.crt")
        client.key = certs.path("rogue-agent.key")
        do {
            _ = try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: client), connectHost: "127.0.0.1")
            Issue.record("openssl s_server accepted a certificate from an untrusted CA")
        } catch {
            #expect(error.message.contains("does not trust this client's certificate rogue-agent"))
        }
    }
}
