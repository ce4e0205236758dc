import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Agents reaching Fleet Server through a real HTTP proxy (tinyproxy): CONNECT tunnels, proxy credentials sent as
/// --proxy-header, and a clear sentence when the proxy is missing or refuses.
@Suite struct ProxyTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    func installFlags(_ server: RunningServer, base: String) throws -> [String] {
        ["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"]
    }

    @Test func anAgentEnrollsAndChecksInThroughTheProxy() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let proxy = try TinyProxy.start()
        defer { proxy.stop() }
        let base = server.directory.file("agent")
        let installed = try await flotilla(try installFlags(server, base: base) + ["--proxy-url=\(proxy.url)"])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(proxy.log.contains("CONNECT localhost:\(server.port)"), "\(proxy.log)")

        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { agent.stop() }
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        let online = try await store.waitForAgent { $0.policyRevision == 1 }
        try await store.close()
        #expect(online != nil)
        // Enrollment plus at least one check-in went through the tunnel.
        #expect(proxy.log.components(separatedBy: "CONNECT localhost:\(server.port)").count >= 3, "\(proxy.log)")
    }

    @Test func proxyCredentialsTravelAsAProxyHeader() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let proxy = try TinyProxy.start(user: "fleet", password: "s3cret")
        defer { proxy.stop() }

        let refused = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=\(proxy.url)"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("The proxy at 127.0.0.1:\(proxy.port) refused to open a tunnel to localhost:\(server.port)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("407"))
        #expect(!FileManager.default.fileExists(atPath: server.directory.file("a")))

        let credentials = "Basic " + Data("fleet:s3cret".utf8).base64EncodedString()
        let accepted = try await flotilla(try installFlags(server, base: server.directory.file("b")) + [
            "--proxy-url=\(proxy.url)", "--proxy-header=Proxy-Authorization=\(credentials)",
        ])
        #expect(accepted.status == 0, "\(accepted.output)")
        // The credentials stay in the encrypted state; inspect hides them.
        let inspected = try await flotilla(["inspect", "--base-path", server.directory.file("b")])
        #expect(inspected.stdout.contains("Proxy-Authorization"))
        #expect(!inspected.stdout.contains(credentials))
    }

    @Test func aProxyThatIsNotThereIsNamed() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let closedPort = try FreePort.onLoopback()
        let result = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=http://127.0.0.1:\(closedPort)"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Cannot reach the proxy at 127.0.0.1:\(closedPort)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)

        let notHTTP = try await flotilla(try installFlags(server, base: server.directory.file("b")) + ["--proxy-url=socks5://127.0.0.1:1080"])
        #expect(notHTTP.stderr.contains("is not an http:// URL"), "\(notHTTP.stderr)")
        let both = try await flotilla(try installFlags(server, base: server.directory.file("c")) + ["--proxy-url=http://127.0.0.1:\(closedPort)", "--proxy-disabled"])
        #expect(both.stderr.contains("--proxy-disabled cannot be combined with --proxy-url"), "\(both.stderr)")
    }
}
