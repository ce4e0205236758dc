import FleetAgent
import FleetTLS
import Foundation
import TestSupport
import Testing

/// How the agent reaches Fleet Server besides TLS: extra headers, and which proxy it uses (or not).
@Suite struct FleetConnectionTests {
    let certs = CertificateFixtures.shared

    @Test func headersGivenWithHeaderReachTheServer() async throws {
        let server = try await TestHTTPSServer.start(certs.serverSettings(clientAuth: .none))
        let options = FleetConnectionOptions(headers: ["X-Echo-Tenant": "blue"], localFleetServerPort: server.port)
        let connection = try FleetConnection(url: "https://localhost:\(server.port)", tls: certs.clientSettings(), options: options)
        let answer = try await connection.send("GET", "/")
        #expect(String(decoding: answer.body, as: UTF8.self).contains("x-echo-tenant=blue"))
        try await server.stop()
    }

    @Test func theEnvironmentsProxyIsUsedUnlessDisabledOrExcluded() throws {
        let environment = ["HTTPS_PROXY": "http://user:pa%3Ass@proxy.example.com:3128", "NO_PROXY": "internal.example.com,.corp"]
        let proxy = try #require(try HTTPProxy.fromEnvironment(for: "fleet.example.com", environment: environment))
        #expect(proxy.display == "proxy.example.com:3128")
        #expect(proxy.headers["Proxy-Authorization"] == "Basic " + Data("user:pa:ss".utf8).base64EncodedString())
        #expect(try HTTPProxy.fromEnvironment(for: "internal.example.com", environment: environment) == nil)
        #expect(try HTTPProxy.fromEnvironment(for: "fleet.corp", environment: environment) == nil)
        #expect(try HTTPProxy.fromEnvironment(for: "fleet.example.com", environment: [:]) == nil)

        // --proxy-disabled and a Fleet Server in this process never go through a proxy; --proxy-url wins over the environment.
        #expect(try FleetConnectionOptions(proxyDisabled: true).proxy(for: "fleet.example.com") == nil)
        #expect(try FleetConnectionOptions(proxyURL: "http://127.0.0.1:8888", localFleetServerPort: 8220).proxy(for: "fleet.example.com") == nil)
        #expect(try FleetConnectionOptions(proxyURL: "http://127.0.0.1:8888").proxy(for: "fleet.example.com")?.display == "127.0.0.1:8888")
    }

    @Test func proxyPasswordsAreNeverShown() throws {
        let options = FleetConnectionOptions(headers: ["Authorization": "Bearer abc"], proxyURL: "http://user:hunter2@proxy:3128", proxyHeaders: ["Proxy-Authorization": "Basic xyz"])
        let shown = String(decoding: try JSONEncoder().encode(options.redacted), as: UTF8.self)
        for secret in ["hunter2", "Bearer abc", "Basic xyz"] {
            #expect(!shown.contains(secret))
        }
        #expect(throws: FlotillaError.self) { try HTTPProxy(url: "ftp://user:hunter2@proxy:21") }
        do {
            _ = try HTTPProxy(url: "ftp://user:hunter2@proxy:21")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
