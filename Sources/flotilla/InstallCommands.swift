import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation

/// `flotilla install`: enroll, keep the state encrypted under --base-path, and start the agent as a systemd service
/// where systemd runs. If any step fails, everything done so far is undone.
struct Install: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Install the agent on this host: enroll it and start it as a service.")

    @OptionGroup var setup: AgentSetupOptions
    @OptionGroup(title: "Installation") var location: AgentLocation

    func run() async throws {
        let vault = location.vault
        // Enrollment comes first: when it fails, nothing has been written.
        let state = try await setup.enroll(replacing: vault, basePath: location.path)
        do {
            try vault.save(state)
            if SystemdUnit.isAvailable {
                try SystemdUnit(basePath: location.path).install()
                print("Installed agent \(state.agentId) in \(location.path) and started the flotilla-agent service.")
            } else {
                print("Installed agent \(state.agentId) in \(location.path) (state encrypted).")
                print("systemd is not running here; start the agent\(state.fleetServer == nil ? "" : " and its Fleet Server") with: \(SystemdUnit.executable) run --base-path \(location.path)")
            }
        } catch {
            vault.erase()
            if SystemdUnit.isAvailable { SystemdUnit(basePath: location.path).remove() }
            throw error
        }
    }
}

/// `flotilla uninstall`: tell Fleet Server the agent is gone, stop the service, remove the state.
struct Uninstall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Uninstall the agent: tell Fleet Server, stop the service, remove its state.")

    @OptionGroup var location: AgentLocation

    @Flag(help: "Never ask questions (Flotilla never does; accepted for elastic-agent's command lines).")
    var nonInteractive = false

    func run() async throws {
        let vault = location.vault
        guard let state = try vault.load() else {
            throw FlotillaError("No agent is installed in \(location.path)", hint: "check --base-path")
        }
        if !state.unenrolled {
            do {
                let connection = try state.fleetConnection()
                let body = try? JSONEncoder().encode(AuditUnenrollRequest(reason: .uninstall, timestamp: RFC3339.string(from: Date())))
                let answer = try await connection.send("POST", "/api/fleet/agents/\(state.agentId)/audit/unenroll", body: body, authorization: "ApiKey \(state.accessAPIKey)")
                if answer.status != 200 { print("Fleet Server did not record the uninstall (\(answer.status)): \(answer.message)") }
            } catch {
                print("Could not tell Fleet Server about the uninstall: \(error.description)")
            }
        }
        if SystemdUnit.isAvailable { SystemdUnit(basePath: location.path).remove() }
        vault.erase()
        print("Uninstalled agent \(state.agentId) from \(location.path).")
    }
}

/// The agent's systemd service.
struct SystemdUnit {
    let basePath: String
    static let path = "/etc/systemd/system/flotilla-agent.service"

    /// systemd manages services only when it is PID 1 (not in most containers).
    static var isAvailable: Bool { FileManager.default.fileExists(atPath: "/run/systemd/system") }

    /// This binary's absolute path, for ExecStart.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func install() throws {
        let unit = """
            [Unit]
            Description=Flotilla agent
            After=network-online.target
            Wants=network-online.target

            [Service]
            ExecStart=\(Self.executable) run --base-path \(basePath)
            Restart=always
            RestartSec=10
            # Each agent a Fleet Server beside it holds is one open file.
            LimitNOFILE=1048576

            [Install]
            WantedBy=multi-user.target

            """
        try SecureFileWriter.write(unit, to: Self.path, secret: false)
        for arguments in [["daemon-reload"], ["enable", "--now", "flotilla-agent.service"]] {
            let process = try Process.run(URL(fileURLWithPath: "/bin/systemctl"), arguments: arguments)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw FlotillaError("systemctl \(arguments.joined(separator: " ")) failed", hint: "see journalctl -u flotilla-agent")
            }
        }
    }

    func remove() {
        if let process = try? Process.run(URL(fileURLWithPath: "/bin/systemctl"), arguments: ["disable", "--now", "flotilla-agent.service"]) {
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: Self.path)
    }
}
