import ArgumentParser
import FleetAgent
import FleetConsole
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging

/// `flotilla quickstart`: everything on one machine with mutual TLS on. Certificates, an embedded store, a Fleet
/// Server that requires client certificates, and one agent with an encrypted client key; then the command that
/// enrolls another host. A second run reuses all it made.
struct Quickstart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a Fleet Server and one agent over mutual TLS on this machine, and print how to enroll more.")

    @Option(help: "The directory for certificates, store, secrets and the agent's state.")
    var directory: String = "./flotilla-quickstart"

    @Option(help: "The Fleet Server's port (0 picks a free one).")
    var port: Int = 8220

    @Option(help: "The console's port (0 picks a free one).")
    var consolePort: Int = 5601

    func run() async throws {
        let root = absolutePath(directory)
        // The port goes into the policy's fleet.hosts, so it must be known before the server starts.
        let port = self.port == 0 ? try FreePort.onLoopback() : self.port
        let host = ProcessInfo.processInfo.hostName
        let certs = "\(root)/certs"
        let reused = try CertificateSet.make(in: certs, dnsNames: [host, "localhost"], ipAddresses: ["127.0.0.1", "::1"]) == .reused
        say(reused ? "Reusing the certificates in \(certs)." : "Made the seed's certificates in \(certs).")
        let secrets = try await QuickstartSecrets.prepare(root: root)

        LogSettings.current.bootstrap(defaultLevel: .warning)
        var configuration = FleetServerConfiguration()
        configuration.port = port
        configuration.dataDirectory = "\(root)/data"
        configuration.serviceToken = secrets.serviceToken
        configuration.tls = TLSSettings(certificateAuthorities: ["\(certs)/agent-ca.crt"], certificate: "\(certs)/fleet-cert.crt", key: "\(certs)/fleet-cert.key", clientAuth: .required)
        configuration.publicURLs = ["https://\(host):\(port)"]
        let agentTLS = TLSSettings(
            certificateAuthorities: ["\(certs)/fleet-ca.crt"], certificate: "\(certs)/agent-cert.crt",
            key: "\(certs)/agent-cert.key", keyPassphrasePath: "\(certs)/agent-cert.passphrase"
        )
        let vault = AgentVault(directory: "\(root)/agent/state")
        let url = "https://\(host):\(port)"
        let local = LocalFleetServer(configuration: configuration, logger: Logger(label: "fleet-server"))
        var consoleConfiguration = ConsoleConfiguration()
        consoleConfiguration.host = "127.0.0.1"
        consoleConfiguration.port = consolePort == 0 ? try FreePort.onLoopback() : consolePort
        consoleConfiguration.tls = TLSSettings(certificate: "\(certs)/fleet-cert.crt", key: "\(certs)/fleet-cert.key")
        consoleConfiguration.secretsKeyPath = "\(root)/secrets/console-secrets.key"
        let consoleSettings = consoleConfiguration
        _ = try await local.run(agentURL: url, agentTLS: agentTLS, options: FleetConnectionOptions(proxyDisabled: true), healthTimeout: 60) { server, options in
            say("Fleet Server listening on \(url) (client certificates required).")
            let console = try await QuickstartConsole.start(consoleSettings, store: server.store)
            do {
                var enrolledNow = false
                if var state = try vault.load() {
                    // The quickstart owns this agent: follow the server if it moved to another port.
                    state.fleetHosts = [url]
                    state.connection = options
                    try vault.save(state)
                    say("Reusing agent \(state.agentId) enrolled in \(vault.directory).")
                } else {
                    let state = try await Enrollment.enroll(url: url, token: secrets.enrollmentToken, tls: agentTLS, tags: ["quickstart"], options: options)
                    try vault.save(state)
                    say("Enrolled agent \(state.agentId).")
                    enrolledNow = true
                }
                let agentID = try vault.loadEnrolled().agentId
                let pipeline = try DataPipeline(directory: "\(root)/agent/data", agentID: agentID, logger: Logger(label: "data"))
                let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pipeline: pipeline)
                // Its first check-in brings the policy at once, so the status below shows it applied.
                if enrolledNow { _ = try await runner.checkinOnce() }
                if let state = try vault.load() {
                    say("")
                    say(AgentStatusReport(state).text)
                }
                say("""

                    Enroll another agent from another host (copy the CA, an agent certificate, its key and passphrase there):
                      flotilla install --url=\(url) \\
                        --enrollment-token=\(secrets.enrollmentToken) \\
                        --certificate-authorities=\(certs)/fleet-ca.crt \\
                        --elastic-agent-cert=\(certs)/agent-cert.crt \\
                        --elastic-agent-cert-key=\(certs)/agent-cert.key \\
                        --elastic-agent-cert-key-passphrase=\(certs)/agent-cert.passphrase

                    The agent's events (host metrics, its own logs and metrics) land in \(root)/agent/events/flotilla.ndjson.

                    Console: \(consoleSettings.url()) (trusts fleet-ca.crt) — user admin, password \(console.password)
                      (a new one-time password each run; set your own with flotilla console users passwd admin)

                    Press Ctrl-C to stop.
                    """)
                // Runs until SIGINT/SIGTERM stops the Fleet Server, which ends this too.
                await runner.run()
            } catch {
                await console.running.stop()
                throw error
            }
            await console.running.stop()
        }
        say("Stopped.")
    }
}

/// The quickstart's service and enrollment tokens, made once and kept in 0600 files beside the store.
struct QuickstartSecrets {
    var serviceToken: String
    var enrollmentToken: String

    static func prepare(root: String) async throws -> QuickstartSecrets {
        let servicePath = "\(root)/secrets/service.token", enrollmentPath = "\(root)/secrets/enrollment.token"
        if let service = try? String(contentsOfFile: servicePath, encoding: .utf8),
           let enrollment = try? String(contentsOfFile: enrollmentPath, encoding: .utf8) {
            return QuickstartSecrets(serviceToken: service.trimmingCharacters(in: .whitespacesAndNewlines), enrollmentToken: enrollment.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let store = try SQLiteStore(path: "\(root)/data/fleet.sqlite")
        do {
            // Without an Elasticsearch, the agent's events land in files a new user can look at.
            let made = try await StoreSetup.initialize(store, agentPolicyBody: policyBody(events: "\(root)/agent/events"))
            try await store.close()
            try SecureFileWriter.write(made.serviceToken + "\n", to: servicePath, secret: true)
            try SecureFileWriter.write(made.enrollmentToken + "\n", to: enrollmentPath, secret: true)
            return QuickstartSecrets(serviceToken: made.serviceToken, enrollmentToken: made.enrollmentToken)
        } catch {
            try? await store.close()
            throw error
        }
    }
}

extension QuickstartSecrets {
    /// The quickstart agent's policy: a file output, the host's CPU, memory and load, and the agent's own logs and
    /// metrics, all into `events`.
    static func policyBody(events: String) -> String {
        let body: JSONValue = [
            "outputs": ["default": ["type": "file", "path": .string(events)]],
            "inputs": [[
                "id": "system-metrics", "type": "system/metrics", "use_output": "default", "data_stream": ["namespace": "default"],
                "streams": [["metricsets": ["cpu", "memory", "load"], "period": "10s"]],
            ]],
            "agent": ["monitoring": ["enabled": true, "logs": true, "metrics": true, "use_output": "default", "namespace": "default"]],
        ]
        return String(decoding: (try? body.jsonData()) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// The quickstart's console, on the Fleet Server's store and certificate, with a fresh admin password each run.
enum QuickstartConsole {
    static func start(_ configuration: ConsoleConfiguration, store: any Store) async throws -> (running: RunningConsole, password: String) {
        let running = try await ConsoleBeside.start(configuration, store: store, logger: Logger(label: "console"))
        let console = running.console
        let password = Secrets.random()
        if try await console.accounts.users().contains(where: { $0.name == "admin" }) {
            try await console.accounts.setPassword("admin", password: password)
        } else {
            try await console.accounts.addUser("admin", password: password, role: .admin)
        }
        return (running, password)
    }
}
