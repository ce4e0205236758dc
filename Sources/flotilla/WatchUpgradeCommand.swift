import ArgumentParser
import FleetAgent
import FleetTLS
import Foundation
import Logging

/// `flotilla watch-upgrade`: started by an agent from its old binary just before it restarts into a new one. If the
/// new version does not check in in time, the old binary goes back and the agent is started again with it.
struct WatchUpgrade: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-upgrade",
        abstract: "Watch an agent's upgrade and roll it back if the new version does not check in (started by the agent).",
        shouldDisplay: false
    )

    @OptionGroup var location: AgentLocation

    @Option(help: "The UPGRADE action's id.")
    var action: String

    @Option(help: "The agent process running the new binary.")
    var pid: Int32

    @Option(help: "The agent's arguments, separated by U+001F, to start the old binary with after a rollback.")
    var restart: String

    @Flag(help: "The agent runs as a systemd service, which starts it again itself.")
    var service = false

    func run() async throws {
        let logger = Logger(label: "upgrade-watch")
        let watcher = UpgradeWatcher(vault: location.vault, actionId: action, agentPid: pid, logger: logger)
        guard case .rolledBack(_, let binary) = await watcher.watch(), !service else { return }
        // In the foreground nobody else starts the agent again: the old binary is started in a session of its own,
        // its output in the agent's directory.
        let log = (location.path as NSString).appendingPathComponent("agent-after-rollback.log")
        FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = [binary] + restart.split(separator: "\u{1f}").map(String.init)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        logger.info("Started \(binary) again after the rollback; its output is in \(log)")
    }
}
