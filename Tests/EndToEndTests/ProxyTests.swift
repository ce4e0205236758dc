import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Agents reaching Fleet Server through a real HTTP proxy (tinyproxy): CONNECT tunnels, proxy credentials sent as
/// --proxy-header, and a clear sentence when the proxy is missing or refuses.
@Suite(.timeLimit(.minutes(5))) struct ProxyTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    func installFlags(_ server: RunningServer, base: String) throws -> [String] {
        ["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"]
    }

    @Test func anAgentEnrollsAndChecksInThroughTheProxy() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let proxy = try await TinyProxy.start()
        defer { proxy.stop() }
        let base = server.directory.file("agent")
        let installed = try await flotilla(try installFlags(server, base: base) + ["--proxy-url=\(proxy.url)"])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(proxy.log.contains("CONNECT localhost:\(server.port)"), "\(proxy.log)")

        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { agent.stop() }
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        let online = try await store.waitForAgent { $0.policyRevision == 1 && $0.lastStatus == "online" }
        try await store.close()
        #expect(online != nil)
        // Enrollment plus at least one check-in went through the tunnel.
        #expect(proxy.log.components(separatedBy: "CONNECT localhost:\(server.port)").count >= 3, "\(proxy.log)")
    }

    @Test func proxyCredentialsTravelAsAProxyHeader() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let proxy = try await TinyProxy.start(user: "fleet", password: "s3cret")
        defer { proxy.stop() }

        let refused = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=\(proxy.url)"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("The proxy at http://127.0.0.1:\(proxy.port) asks for credentials and none were given (HTTP/1.0 407"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--proxy-credentials-file"))
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

        // Wrong credentials are told apart from missing ones; a credentials file keeps them off the command line.
        let wrong = server.directory.write("wrong.credentials", "fleet:not-it\n")
        let denied = try await flotilla(try installFlags(server, base: server.directory.file("c")) + [
            "--proxy-url=\(proxy.url)", "--proxy-credentials-file=\(wrong)",
        ])
        #expect(denied.stderr.contains("refused the credentials it was given (HTTP/1.0 40"), "\(denied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.directory.file("c")))
        let right = server.directory.write("right.credentials", "fleet:s3cret\n")
        let fromFile = try await flotilla(try installFlags(server, base: server.directory.file("d")) + [
            "--proxy-url=\(proxy.url)", "--proxy-credentials-file=\(right)",
        ])
        #expect(fromFile.status == 0, "\(fromFile.output)")
        let missing = try await flotilla(try installFlags(server, base: server.directory.file("e")) + [
            "--proxy-url=\(proxy.url)", "--proxy-credentials-file=\(server.directory.file("none"))",
        ])
        #expect(missing.stderr.contains("The proxy credentials file \(server.directory.file("none")) (--proxy-credentials-file) cannot be read"), "\(missing.stderr)")
    }

    @Test func aProxyThatIsNotThereIsNamed() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let closedPort = try FreePort.onLoopback()
        let result = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=http://127.0.0.1:\(closedPort)"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Cannot reach the proxy at http://127.0.0.1:\(closedPort)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)

        let notAProxy = try await flotilla(try installFlags(server, base: server.directory.file("b")) + ["--proxy-url=ftp://127.0.0.1:21"])
        #expect(notAProxy.stderr.contains("The proxy URL ftp://127.0.0.1:21 in --proxy-url is not an http://, https:// or socks5:// URL"), "\(notAProxy.stderr)")
        let both = try await flotilla(try installFlags(server, base: server.directory.file("c")) + ["--proxy-url=http://127.0.0.1:\(closedPort)", "--proxy-disabled"])
        #expect(both.stderr.contains("--proxy-disabled cannot be combined with --proxy-url"), "\(both.stderr)")
    }
}
