import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging

/// The agent's enrollment and TLS flags, spelled as elastic-agent spells them.
struct AgentEnrollmentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Fleet Server URL.", discussion: "Enrollment"))
    var url: String

    @Option(help: "The enrollment token.")
    var enrollmentToken: String

    @Option(help: "CAs that sign the Fleet Server's certificate (comma-separated files).")
    var certificateAuthorities: [String] = []

    @Option(name: .customLong("elastic-agent-cert"), help: "Agent TLS: the client certificate the agent presents under mutual TLS.")
    var agentCertificate: String?

    @Option(name: .customLong("elastic-agent-cert-key"), help: "Agent TLS: its private key.")
    var agentKey: String?

    @Option(name: .customLong("elastic-agent-cert-key-passphrase"), help: "Agent TLS: a file holding the key's passphrase.")
    var agentKeyPassphrase: String?

    @Option(name: .customLong("ca-sha256"), help: "Agent TLS: base64 SHA-256 pin of a certificate in the server's chain.")
    var caSHA256: [String] = []

    @Flag(help: "Agent TLS: do not verify the Fleet Server's certificate (never in production).")
    var insecure = false

    @Option(help: "A tag for this agent (repeatable or comma-separated).")
    var tag: [String] = []

    @Option(help: "The agent id to enroll with (default: generated).")
    var id: String?

    @Option(help: "A token that lets a later enrollment with the same --id replace this agent.")
    var replaceToken: String?

    /// The TLS settings these flags describe, loaded and checked now (files, key match, passphrase, purpose).
    func tlsSettings() throws -> TLSSettings {
        if insecure, !certificateAuthorities.isEmpty || !caSHA256.isEmpty {
            throw FlotillaError("--insecure cannot be combined with --certificate-authorities or --ca-sha256", hint: "drop --insecure to verify the server, or the CAs to skip verification")
        }
        if (agentCertificate == nil) != (agentKey == nil) {
            throw FlotillaError("--elastic-agent-cert and --elastic-agent-cert-key go together", hint: "give both, or neither")
        }
        if agentKeyPassphrase != nil, agentKey == nil {
            throw FlotillaError("--elastic-agent-cert-key-passphrase is given without --elastic-agent-cert-key")
        }
        let settings = TLSSettings(
            certificateAuthorities: commaSeparated(certificateAuthorities).map(absolute),
            certificate: agentCertificate.map(absolute), key: agentKey.map(absolute), keyPassphrasePath: agentKeyPassphrase.map(absolute),
            verificationMode: insecure ? .none : .full, caSha256: commaSeparated(caSHA256)
        )
        _ = try FleetConnection(url: url, tls: settings)
        return settings
    }

    /// Checks every input, refuses to replace an enrollment without `force`, and enrolls. Nothing is written:
    /// the caller saves the state it gets.
    func enroll(replacing vault: AgentVault, force: Bool) async throws -> AgentState {
        let tls = try tlsSettings()
        if vault.exists, !force {
            throw FlotillaError("An agent is already enrolled here (state in \(vault.directory))", hint: "pass --force to replace it, or flotilla uninstall first")
        }
        return try await Enrollment.enroll(
            url: url, token: enrollmentToken, tls: tls, tags: commaSeparated(tag), id: id, replaceToken: replaceToken
        )
    }

    /// State keeps absolute paths: the agent may run from another directory.
    func absolute(_ path: String) -> String {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
    }
}

struct AgentLocation: ParsableArguments {
    @Option(help: "Where the agent keeps its encrypted state.")
    var basePath: String = "/opt/Flotilla/Agent"

    var vault: AgentVault { AgentVault(directory: URL(fileURLWithPath: basePath).standardizedFileURL.path + "/state") }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enroll this host into a Fleet Server (state encrypted under --base-path).")

    @OptionGroup var enrollment: AgentEnrollmentOptions
    @OptionGroup var location: AgentLocation

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Never ask questions.")
    var nonInteractive = false

    func run() async throws {
        let vault = location.vault
        let state = try await enrollment.enroll(replacing: vault, force: force)
        try vault.save(state)
        print("Enrolled as agent \(state.agentId) on policy \(state.policyId); state encrypted in \(vault.directory).")
        print("Start it with: flotilla run --base-path \(location.basePath)")
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the agent in the foreground: check in, apply policies, acknowledge actions.")

    @OptionGroup var location: AgentLocation

    @Option(help: "How long one check-in may wait, as a Go duration.")
    var pollTimeout: String = "5m"

    func run() async throws {
        guard let seconds = parseGoDuration(pollTimeout) else {
            throw FlotillaError("--poll-timeout \(pollTimeout) is not a duration", hint: "write it like 5m")
        }
        _ = try location.vault.loadEnrolled()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let runner = AgentRunner(vault: location.vault, logger: Logger(label: "agent"), pollTimeout: seconds)
        await runner.run()
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the agent's enrollment, policy and TLS in use.")

    @OptionGroup var location: AgentLocation

    @Option(help: "text or json.")
    var output: String = "text"

    func run() async throws {
        let state = try location.vault.loadEnrolled()
        let report = AgentStatusReport(state)
        if output == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the agent's effective configuration, secrets redacted.")

    @OptionGroup var location: AgentLocation

    func run() async throws {
        var state = try location.vault.loadEnrolled()
        // The API key never leaves the vault; key and passphrase files are named, never read out.
        state.accessAPIKey = state.accessAPIKey.isEmpty ? "" : "<redacted>"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(state), as: UTF8.self))
    }
}
