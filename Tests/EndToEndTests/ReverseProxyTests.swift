import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing
import X509

/// nginx terminating the agents' mutual TLS in front of Fleet Server, with the README's configuration as written
/// (only paths and ports replaced): the agent enrolls and checks in through it, Fleet Server records the agent's
/// certificate (not nginx's), and the certificate header is refused from anywhere but the trusted proxy, or when
/// the certificate it carries is not one the client CAs accept.
@Suite(.timeLimit(.minutes(3))) struct ReverseProxyTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    /// The README's nginx block, between its marker and the end of the fenced block.
    static func readmeConfiguration() throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let marker = text.range(of: "<!-- nginx-reverse-proxy -->\n```nginx\n"),
              let end = text.range(of: "\n```", range: marker.upperBound..<text.endIndex)
        else { throw FlotillaError("README.md has no nginx-reverse-proxy block") }
        return String(text[marker.upperBound..<end.lowerBound])
    }

    @Test func agentsBehindNginxKeepTheirCertificateAndForgedHeadersAreRefused() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "nginx is not installed (scripts/test.sh installs nginx-light)")
        let server = try await RunningServer(clientAuth: "required", extraConfiguration: "trusted_proxies: [127.0.0.1]\n")
        defer { Task { await server.stop() } }
        let issued = try await flotilla([
            "certs", "issue", "--ca", server.cert("agent-ca.crt"), "--ca-key", server.cert("agent-ca.key"),
            "--purpose", "client", "--name", "nginx", "--out", server.cert("nginx-client"),
        ])
        try #require(issued.status == 0, "\(issued.output)")

        let nginxPort = try FreePort.onLoopback()
        let block = try Self.readmeConfiguration()
            .replacingOccurrences(of: "/etc/flotilla/certs/", with: server.certs + "/")
            .replacingOccurrences(of: "server 10.0.0.5:8220;", with: "server 127.0.0.1:\(server.port);")
            .replacingOccurrences(of: "listen 8220 ssl;", with: "listen 127.0.0.1:\(nginxPort) ssl;")
        let nginx = try await NginxProxy.start(serverBlock: block, port: nginxPort)
        defer { nginx.stop() }

        // The seed's mutual-TLS install, pointed at nginx.
        let base = server.directory.file("agent")
        let flags = try server.seedAgentFlags().map { $0.hasPrefix("--url=") ? "--url=https://localhost:\(nginxPort)" : $0 }
        let installed = try await flotilla(["install"] + flags + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output) \(nginx.errorLog)")
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { agent.stop() }
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        let online = try await store.waitForAgent(within: 60) { $0.policyRevision == 1 && $0.certificateFingerprint != nil }
        try await store.close()
        let agentCertificate = try Certificate(pemEncoded: String(contentsOfFile: server.cert("agent-cert.crt"), encoding: .utf8))
        let nginxCertificate = try Certificate(pemEncoded: String(contentsOfFile: server.cert("nginx-client.crt"), encoding: .utf8))
        #expect(online?.certificateFingerprint == agentCertificate.sha256Fingerprint, "\(agent.printed)")
        #expect(online?.certificateFingerprint != nginxCertificate.sha256Fingerprint)

        // A forged header straight to Fleet Server from an address that is not the trusted proxy, even with a
        // certificate Fleet Server accepts on the connection.
        let rogue = try String(contentsOfFile: CertificateFixtures.shared.path("rogue-agent.crt"), encoding: .utf8)
        let escaped = rogue.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let forged = try await server.curl(try server.agentCredentials + [
            "--interface", "127.0.0.3", "-H", "X-SSL-Client-Cert: \(escaped)", "-w", "\\n%{http_code}",
        ])
        #expect(forged.stdout.hasSuffix("403"), "\(forged.output)")
        #expect(forged.stdout.contains("accepted only from a trusted proxy"), "\(forged.stdout)")
        #expect(await eventually { server.process.printed.contains("Refused a request with a X-SSL-Client-Cert header from 127.0.0.3") }, "\(server.process.printed)")

        // From the trusted address with a certificate the server accepts, the passed certificate is still checked:
        // one from a CA the server does not trust is refused.
        let passedRogue = try await server.curl([
            "--cert", server.cert("nginx-client.crt"), "--key", server.cert("nginx-client.key"),
            "-H", "X-SSL-Client-Cert: \(escaped)", "-w", "\\n%{http_code}",
        ])
        #expect(passedRogue.stdout.hasSuffix("403"), "\(passedRogue.output)")
        #expect(await eventually { server.process.printed.contains("Refused the agent certificate passed by the proxy at 127.0.0.1") }, "\(server.process.printed)")
    }
}
