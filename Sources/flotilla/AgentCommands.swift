import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging

struct AgentLocation: ParsableArguments {
    @Option(help: "Where the agent keeps its encrypted state.")
    var basePath: String = "/opt/Flotilla/Agent"

    /// The base path made absolute: it goes into the systemd unit and into the state.
    var path: String { absolutePath(basePath) }

    var vault: AgentVault { AgentVault(directory: path + "/state") }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enroll this host into a Fleet Server (state encrypted under --base-path).")

    @OptionGroup var setup: AgentSetupOptions
    @OptionGroup(title: "Installation") var location: AgentLocation

    func run() async throws {
        let vault = location.vault
        let state = try await setup.enroll(replacing: vault, basePath: location.path)
        try vault.save(state)
        print("Enrolled as agent \(state.agentId) on policy \(state.policyId); state encrypted in \(vault.directory).")
        print("Start it with: flotilla run --base-path \(location.path)")
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the agent in the foreground: check in, apply policies, acknowledge actions.")

    @OptionGroup var location: AgentLocation

    @Option(help: "How long one check-in may wait, as a Go duration.")
    var pollTimeout: String = "5m"

    @Option(name: .customLong("fleet-server-timeout"), help: "How long to wait for this agent's Fleet Server to be healthy (default: what install was given).")
    var fleetServerTimeout: String?

    @Option(help: "How long a new version has after an upgrade to check in before the old one is put back, as a Go duration.")
    var upgradeWatch: String = "10m"

    func run() async throws {
        guard let seconds = parseGoDuration(pollTimeout) else {
            throw FlotillaError("--poll-timeout \(pollTimeout) is not a duration", hint: "write it like 5m")
        }
        let vault = location.vault
        let state = try vault.loadEnrolled()
        let tap = AgentLogTap()
        LogSettings.current.bootstrap { tap.handler(label: $0, upstream: $1) }
        let pipeline = try DataPipeline(directory: location.path + "/data", agentID: state.agentId, logTap: tap, logger: Logger(label: "data"))
        guard let watchSeconds = parseGoDuration(upgradeWatch), watchSeconds > 0 else {
            throw FlotillaError("--upgrade-watch \(upgradeWatch) is not a duration", hint: "write it like 10m")
        }
        let upgrader = AgentUpgrader(watchSeconds: watchSeconds, logger: Logger(label: "upgrade"))
        let runner = AgentRunner(
            vault: vault, logger: Logger(label: "agent"), pollTimeout: seconds, pipeline: pipeline, upgrader: upgrader
        )
        guard let configuration = try state.localFleetServer else {
            say("Agent \(state.agentId) is running; it checks in with \(state.fleetHosts[0]).")
            await runner.run()
            try restartIfUpgraded(runner)
            return
        }
        // This agent runs its Fleet Server: start it, wait until the agent can use it, then check in through it.
        let local = LocalFleetServer(configuration: configuration, logger: Logger(label: "fleet-server"))
        _ = try await local.run(agentURL: state.fleetHosts[0], agentTLS: state.fleetTLS, options: state.connection, healthTimeout: try healthTimeout(state)) { _, options in
            if var current = try vault.load(), current.connection != options {
                current.connection = options  // the port it listens on now
                try vault.save(current)
            }
            say("Agent \(state.agentId) is running with its Fleet Server on port \(options.localFleetServerPort ?? 0).")
            await runner.run()
        }
        try restartIfUpgraded(runner)
    }
}

extension Run {
    /// --fleet-server-timeout if given, else what install was given, else two minutes.
    func healthTimeout(_ state: AgentState) throws(FlotillaError) -> Double {
        guard let fleetServerTimeout else { return state.fleetServerTimeoutSeconds ?? 120 }
        guard let seconds = parseGoDuration(fleetServerTimeout), seconds > 0 else {
            throw FlotillaError("--fleet-server-timeout \(fleetServerTimeout) is not a duration", hint: "write it like 2m or 90s")
        }
        return seconds
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the agent's enrollment, policy and TLS in use.")

    @OptionGroup var location: AgentLocation

    @Option(help: "text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let state = try location.vault.loadEnrolled()
        let report = AgentStatusReport(state)
        if output == .json {
            try printJSON(report)
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
        if var server = try state.localFleetServer {
            server.serviceToken = "<redacted>"
            try state.setLocalFleetServer(server)
        }
        try printJSON(state)
    }
}
