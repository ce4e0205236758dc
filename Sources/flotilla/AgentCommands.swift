import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging

struct AgentLocation: ParsableArguments {
    @Option(help: "Where the agent keeps its encrypted state.")
    var basePath: String = "/opt/Flotilla/Agent"

    var vault: AgentVault { AgentVault(directory: URL(fileURLWithPath: basePath).standardizedFileURL.path + "/state") }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enroll this host into a Fleet Server (state encrypted under --base-path).")

    @OptionGroup var setup: AgentSetupOptions
    @OptionGroup(title: "Installation") var location: AgentLocation

    func run() async throws {
        let vault = location.vault
        let state = try await setup.enroll(replacing: vault, basePath: location.basePath)
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
        let vault = location.vault
        let state = try vault.loadEnrolled()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let runner = AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: seconds)
        guard let configuration = state.fleetServer else {
            await runner.run()
            return
        }
        // This agent runs its Fleet Server: start it, wait until the agent can use it, then check in through it.
        let local = LocalFleetServer(configuration: configuration, logger: Logger(label: "fleet-server"))
        _ = try await local.run(agentURL: state.fleetHosts[0], agentTLS: state.fleetTLS, options: state.connection, healthTimeout: state.fleetServerTimeoutSeconds ?? 120) { _, options in
            if var current = try vault.load(), current.connection != options {
                current.connection = options  // the port it listens on now
                try vault.save(current)
            }
            say("Agent \(state.agentId) is running with its Fleet Server on port \(options.localFleetServerPort ?? 0).")
            await runner.run()
        }
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
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
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
        state.connection = state.connection.redacted
        state.fleetServer?.serviceToken = "<redacted>"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(state), as: UTF8.self))
    }
}
