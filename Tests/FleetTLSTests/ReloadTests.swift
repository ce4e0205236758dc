import FleetTLS
import Foundation
import TestSupport
import Testing

/// A server's certificate, key and client CAs change at run time without dropping open connections, and a broken
/// change keeps the last good context.
@Suite(.timeLimit(.minutes(5))) struct ReloadTests {
    let certs = CertificateFixtures.shared

    /// A server whose files live in their own directory, so the test can replace them.
    func serverWithOwnFiles() async throws -> (TestHTTPSServer, TemporaryDirectory) {
        let directory = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: certs.fleetCert, toPath: directory.file("server.crt"))
        try FileManager.default.copyItem(atPath: certs.fleetKey, toPath: directory.file("server.key"))
        try FileManager.default.copyItem(atPath: certs.agentCA, toPath: directory.file("clients.crt"))
        let settings = TLSSettings(
            certificateAuthorities: [directory.file("clients.crt")],
            certificate: directory.file("server.crt"), key: directory.file("server.key"), clientAuth: .optional
        )
        return (try await TestHTTPSServer.start(settings), directory)
    }

    func replace(_ target: String, with source: String) throws {
        let text = try String(contentsOfFile: source, encoding: .utf8)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
    }

    func serverName(_ server: TestHTTPSServer) async throws -> String? {
        var client = certs.clientSettings()
        client.verificationMode = .certificate
        return try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: client), connectHost: "127.0.0.1").serverChain.first?.displayName
    }

    @Test func newCertificateServesNewConnectionsWhileOpenOnesStay() async throws {
        let (server, directory) = try await serverWithOwnFiles()
        defer { directory.remove() }
        let open = try await KeepAliveClient(host: "localhost", port: server.port, client: TLSClientContext(settings: certs.clientSettings(mutual: true)))
        #expect(try await open.get() == "client=flotilla-agent")
        #expect(open.report.serverChain.first?.displayName == "localhost")

        try replace(directory.file("server.crt"), with: certs.path("other-host.crt"))
        try replace(directory.file("server.key"), with: certs.path("other-host.key"))
        try server.tls.reload().get()

        #expect(try await serverName(server) == "other-host")
        // The connection opened before the reload still works, with the identity it was opened with.
        #expect(try await open.get() == "client=flotilla-agent")
        try await open.close()
        try await server.stop()
    }

    @Test func brokenReloadKeepsTheLastGoodContextAndSaysWhy() async throws {
        let (server, directory) = try await serverWithOwnFiles()
        defer { directory.remove() }
        // A new certificate whose key was not replaced with it: the classic half-done rotation.
        try replace(directory.file("server.crt"), with: certs.path("other-host.crt"))
        let result = server.tls.reload()
        guard case .failure(let error) = result else {
            Issue.record("a certificate with the wrong key was loaded")
            return
        }
        #expect(error.message.contains("does not match"))
        #expect(error.message.contains(directory.file("server.key")))
        #expect(try await serverName(server) == "localhost")
        try await server.stop()
    }

    @Test func newClientCAsApplyToNewConnections() async throws {
        let (server, directory) = try await serverWithOwnFiles()
        defer { directory.remove() }
        var rogueClient = certs.clientSettings()
        rogueClient.certificate = certs.path("rogue-agent.crt")
        rogueClient.key = certs.path("rogue-agent.key")
        await #expect(throws: FlotillaError.self) {
            try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: rogueClient), connectHost: "127.0.0.1")
        }
        var settings = server.tls.settings
        settings.certificateAuthorities = [certs.path("rogue-ca.crt")]
        try server.tls.reload(settings).get()
        let body = try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: rogueClient), connectHost: "127.0.0.1").body
        #expect(body == "client=rogue-agent")
        await #expect(throws: FlotillaError.self) {
            try await TLSProbe.get(host: "localhost", port: server.port, client: TLSClientContext(settings: certs.clientSettings(mutual: true)), connectHost: "127.0.0.1")
        }
        try await server.stop()
    }
}
