import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import TestSupport
import Testing

/// How the agent reaches Fleet Server besides TLS: extra headers, and which proxy it uses (or not).
@Suite(.timeLimit(.minutes(5))) struct FleetConnectionTests {
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
        let proxy = try #require(try ForwardProxy.fromEnvironment(for: "fleet.example.com", environment: environment))
        #expect(proxy.display == "http://proxy.example.com:3128")
        #expect(proxy.headers["Proxy-Authorization"] == "Basic " + Data("user:pa:ss".utf8).base64EncodedString())
        #expect(try ForwardProxy.fromEnvironment(for: "internal.example.com", environment: environment) == nil)
        #expect(try ForwardProxy.fromEnvironment(for: "fleet.corp", environment: environment) == nil)
        #expect(try ForwardProxy.fromEnvironment(for: "fleet.example.com", environment: [:]) == nil)

        // --proxy-disabled and a Fleet Server in this process never go through a proxy; --proxy-url wins over the environment.
        #expect(try FleetConnectionOptions(proxyDisabled: true).proxy(for: "fleet.example.com") == nil)
        #expect(try FleetConnectionOptions(proxyURL: "http://127.0.0.1:8888", localFleetServerPort: 8220).proxy(for: "fleet.example.com") == nil)
        #expect(try FleetConnectionOptions(proxyURL: "http://127.0.0.1:8888").proxy(for: "fleet.example.com")?.display == "http://127.0.0.1:8888")

        // A proxy the policy names wins while it names it; without it, the install's choice is back.
        let pushed = ProxySettings(url: "socks5://10.0.0.9", headers: ["Proxy-Authorization": "Basic " + Data("u:p".utf8).base64EncodedString()])
        let withPolicy = FleetConnectionOptions(proxyURL: "http://127.0.0.1:8888", policyProxy: pushed)
        let chosen = try #require(try withPolicy.proxy(for: "fleet.example.com"))
        #expect(chosen.display == "socks5://10.0.0.9:1080")
        #expect(chosen.socksCredentials?.user == "u" && chosen.socksCredentials?.password == "p")
        var removed = withPolicy
        removed.policyProxy = nil
        #expect(try removed.proxy(for: "fleet.example.com")?.display == "http://127.0.0.1:8888")
    }

    @Test func aPolicyProxyIsReadWithItsOwnTLSAndCheckedHeaders() throws {
        let section: JSONValue = [
            "proxy_url": "https://proxy.example.com:3129", "proxy_headers": ["X-Proxy-Tenant": "blue"],
            "proxy_ssl": ["certificate_authorities": [.string(CertificateFixtures.shared.fleetCA)]],
        ]
        let settings = try #require(try ProxySettings(section: section, field: "fleet"))
        let proxy = try settings.resolve(field: "fleet")
        #expect(proxy.kind == .https && proxy.port == 3129)
        #expect(proxy.tls?.settings.certificateAuthorities == [CertificateFixtures.shared.fleetCA])
        #expect(try ProxySettings(section: ["hosts": ["https://a"]], field: "fleet") == nil)
        let broken: JSONValue = ["proxy_url": "http://proxy:3128", "proxy_headers": ["X-Bad": "a\r\nInjected: yes"]]
        #expect(throws: FlotillaError.self) { try ProxySettings(section: broken, field: "outputs.default") }
        do { _ = try ProxySettings(section: ["proxy_url": "gopher://proxy"], field: "outputs.default") } catch {
            #expect(error.description.contains("outputs.default.proxy_url"), "\(error)")
        }
        do { _ = try ProxySettings(section: ["proxy_url": "socks5://proxy", "proxy_headers": ["Proxy-Authorization": "Bearer x"]], field: "fleet") } catch {
            #expect(error.description.contains("is not Basic credentials"), "\(error)")
        }
    }

    @Test func proxyPasswordsAreNeverShown() throws {
        let options = FleetConnectionOptions(headers: ["Authorization": "Bearer abc"], proxyURL: "http://user:hunter2@proxy:3128", proxyHeaders: ["Proxy-Authorization": "Basic xyz"])
        let shown = String(decoding: try JSONEncoder().encode(options.redacted), as: UTF8.self)
        for secret in ["hunter2", "Bearer abc", "Basic xyz"] {
            #expect(!shown.contains(secret))
        }
        #expect(throws: FlotillaError.self) { try ForwardProxy(url: "ftp://user:hunter2@proxy:21") }
        do {
            _ = try ForwardProxy(url: "ftp://user:hunter2@proxy:21")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
