import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Agents reaching Fleet Server through real forward proxies that are not plain HTTP: squid as an HTTPS proxy that
/// demands a client certificate (its own CA, apart from Fleet's), and dante as a SOCKS5 proxy with and without a
/// user and password. Each failure on the way to the proxy is one sentence, and leaves nothing installed.
@Suite(.timeLimit(.minutes(4))) struct ForwardProxyTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    func installFlags(_ server: RunningServer, base: String) throws -> [String] {
        ["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"]
    }

    /// A CA of the proxy's own, its server certificate for localhost, and a client certificate it accepts.
    func proxyCertificates(in server: RunningServer) async throws -> (ca: String, certificate: String, key: String, client: String, clientKey: String) {
        let prefix = server.directory.file("proxy")
        for arguments in [
            ["certs", "ca", "--out", "\(prefix)-ca", "--name", "Proxy CA"],
            ["certs", "issue", "--ca", "\(prefix)-ca.crt", "--ca-key", "\(prefix)-ca.key", "--purpose", "server", "--name", "localhost", "--dns", "localhost", "--ip", "127.0.0.1", "--out", "\(prefix)-server"],
            ["certs", "issue", "--ca", "\(prefix)-ca.crt", "--ca-key", "\(prefix)-ca.key", "--purpose", "client", "--name", "agent at the proxy", "--out", "\(prefix)-client"],
        ] {
            let made = try await flotilla(arguments)
            guard made.status == 0 else { throw FlotillaError("\(arguments[1]) failed: \(made.output)") }
        }
        return ("\(prefix)-ca.crt", "\(prefix)-server.crt", "\(prefix)-server.key", "\(prefix)-client.crt", "\(prefix)-client.key")
    }

    /// Installs, runs the agent, and waits for its first check-in and then for a policy change to arrive through
    /// the proxy. Returns the agent process, stopped by the caller.
    func enrollAndFollowAPolicyChange(_ server: RunningServer, base: String, flags: [String]) async throws -> BackgroundProcess {
        let installed = try await flotilla(try installFlags(server, base: base) + flags)
        #expect(installed.status == 0, "\(installed.output)")
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        let online = try await store.waitForAgent(within: 60) { $0.policyRevision == 1 && $0.lastStatus == "online" }
        #expect(online != nil, "\(agent.printed)")
        var policy = try #require(try await store.policy(id: StoreSetup.defaultPolicyId))
        var body = try JSONDecoder().decode(JSONValue.self, from: Data(policy.body.utf8))
        body["agent"] = ["logging": ["level": "debug"]]
        policy.body = String(decoding: try body.jsonData(), as: UTF8.self)
        let saved = try await store.savePolicy(policy)
        let changed = try await store.waitForAgent(within: 60) { $0.policyRevision == saved.revision }
        #expect(changed != nil, "the policy change did not arrive through the proxy: \(agent.printed)")
        try await store.close()
        return agent
    }

    @Test func anHTTPSProxyThatDemandsAClientCertificate() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/squid"), "squid is not installed (scripts/test.sh installs squid-openssl)")
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let proxyTLS = try await proxyCertificates(in: server)
        let squid = try await SquidProxy.start(certificate: proxyTLS.certificate, key: proxyTLS.key, clientCA: proxyTLS.ca)
        defer { squid.stop() }
        let proxyHost = "localhost:\(squid.port)"

        // The proxy's certificate is not signed by a CA the agent was given for it.
        let untrusted = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=\(squid.url)"])
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("Refused the proxy at \(proxyHost)"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--proxy-certificate-authorities"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.split(separator: "\n").count == 1, "\(untrusted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.directory.file("a")))

        // Trusted, but the proxy wants a client certificate the agent lacks.
        let anonymous = try await flotilla(try installFlags(server, base: server.directory.file("b")) + [
            "--proxy-url=\(squid.url)", "--proxy-certificate-authorities=\(proxyTLS.ca)",
        ])
        #expect(anonymous.status != 0)
        #expect(anonymous.stderr.contains("The proxy at \(proxyHost) requires a client certificate and none was given"), "\(anonymous.stderr)")
        #expect(anonymous.stderr.contains("--proxy-certificate, --proxy-certificate-key"), "\(anonymous.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.directory.file("b")))

        // With both, the agent enrolls, checks in and follows a policy change, all inside squid's tunnels. The
        // Fleet Server's own TLS (its CA, the agent's certificate) is untouched by the proxy's.
        let agent = try await enrollAndFollowAPolicyChange(server, base: server.directory.file("c"), flags: [
            "--proxy-url=\(squid.url)", "--proxy-certificate-authorities=\(proxyTLS.ca)",
            "--proxy-certificate=\(proxyTLS.client)", "--proxy-certificate-key=\(proxyTLS.clientKey)",
        ])
        defer { agent.stop() }
        // squid logs a tunnel when it closes: the enrollment's is there; the check-ins' is still open, and the
        // running agent's connections all go to squid, none straight to Fleet Server.
        #expect(squid.accessLog.contains("CONNECT localhost:\(server.port)"), "\(squid.accessLog)")
        let peers = try await Self.connectedPorts(of: agent.processIdentifier)
        #expect(peers.contains(squid.port) && !peers.contains(server.port), "\(peers)")
    }

    /// The remote ports of the established TCP connections of process `pid`, as `ss` lists them.
    static func connectedPorts(of pid: Int32) async throws -> [Int] {
        let listed = try await ProcessRunner.run("ss", ["-tnpH", "state", "established"])
        return listed.stdout.split(separator: "\n").filter { $0.contains("pid=\(pid),") }.compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            return columns.count >= 4 ? columns[3].split(separator: ":").last.flatMap { Int($0) } : nil
        }
    }

    @Test func aSOCKS5Proxy() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/danted"), "dante is not installed (scripts/test.sh installs dante-server)")
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let dante = try await DanteProxy.start()
        defer { dante.stop() }
        let agent = try await enrollAndFollowAPolicyChange(server, base: server.directory.file("a"), flags: ["--proxy-url=\(dante.url)"])
        defer { agent.stop() }
        #expect(dante.log.contains("127.0.0.1.\(server.port)"), "\(dante.log)")
        let peers = try await Self.connectedPorts(of: agent.processIdentifier)
        #expect(peers.contains(dante.port) && !peers.contains(server.port), "\(peers)")

        // Nothing listens behind the proxy: the proxy's refusal, in words.
        let closed = try FreePort.onLoopback()
        var flags = try installFlags(server, base: server.directory.file("b")).filter { !$0.hasPrefix("--url=") }
        flags += ["--url=https://localhost:\(closed)", "--proxy-url=\(dante.url)"]
        let refused = try await flotilla(flags)
        #expect(refused.stderr.contains("The SOCKS5 proxy at socks5://127.0.0.1:\(dante.port) did not connect to localhost:\(closed)"), "\(refused.stderr)")
    }

    @Test func aSOCKS5ProxyWithAUserAndPassword() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/danted"), "dante is not installed (scripts/test.sh installs dante-server)")
        guard DanteProxy.userExists else {
            print("Skipping the SOCKS5 credentials test: dante checks users against the system's, and the user \(DanteProxy.user) that scripts/test.sh makes is missing")
            return
        }
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let dante = try await DanteProxy.start(requireCredentials: true)
        defer { dante.stop() }

        let none = try await flotilla(try installFlags(server, base: server.directory.file("a")) + ["--proxy-url=\(dante.url)"])
        #expect(none.stderr.contains("The proxy at socks5://127.0.0.1:\(dante.port) asks for credentials and none were given"), "\(none.stderr)")
        let wrong = server.directory.write("wrong", "\(DanteProxy.user):not-it\n")
        let denied = try await flotilla(try installFlags(server, base: server.directory.file("b")) + ["--proxy-url=\(dante.url)", "--proxy-credentials-file=\(wrong)"])
        #expect(denied.stderr.contains("refused the credentials it was given"), "\(denied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.directory.file("b")))

        let right = server.directory.write("right", "\(DanteProxy.user):\(DanteProxy.password)\n")
        let agent = try await enrollAndFollowAPolicyChange(server, base: server.directory.file("c"), flags: ["--proxy-url=\(dante.url)", "--proxy-credentials-file=\(right)"])
        defer { agent.stop() }
        #expect(dante.log.contains("username%\(DanteProxy.user)@"), "\(dante.log)")
        // The password never reaches the agent's output.
        #expect(!agent.printed.contains(DanteProxy.password))
    }
}
