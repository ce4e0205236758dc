import FleetAgent
import FleetTLS
import Foundation
import Logging

extension Run {
    /// After an upgrade put a new binary in place: starts the watcher from the old binary, then becomes the new
    /// binary with the same arguments (the same process, so a service manager sees no restart).
    func restartIfUpgraded(_ runner: AgentRunner) throws {
        guard let upgrade = runner.restartRequested else { return }
        do {
            try UpgradeRestart.startWatcher(upgrade, basePath: location.path)
        } catch {
            // No watcher, no upgrade: the old binary goes back and the next start reports why.
            rename(upgrade.previousBinary, upgrade.binary)
            try? location.vault.update { $0.upgrade?.failure = "the upgrade watcher could not start: \(error.description)" }
            throw FlotillaError(
                "The upgrade to \(upgrade.targetVersion) was undone: \(error.description)", hint: "start the agent again; it reports the failure"
            )
        }
        say("Restarting into \(upgrade.targetVersion)")
        let arguments = CommandLine.arguments
        var cArguments = arguments.map { strdup($0) } + [nil]
        execv(upgrade.binary, &cArguments)
        // execv returns only when it failed: the old binary is still beside it, and the watcher puts it back.
        throw FlotillaError(
            "Cannot start \(upgrade.binary): \(String(cString: strerror(errno)))",
            hint: "the watcher puts \(upgrade.previousBinary) back within the upgrade's watch time"
        )
    }
}

/// Starting the upgrade watcher as a process of its own.
enum UpgradeRestart {
    /// Runs `PREVIOUS watch-upgrade`: under systemd as a unit of its own (so stopping the agent's unit does not stop
    /// it), elsewhere in a session of its own.
    static func startWatcher(_ upgrade: UpgradeProgress, basePath: String) throws(FlotillaError) {
        let service = ProcessInfo.processInfo.environment["INVOCATION_ID"] != nil
        let watch = [
            upgrade.previousBinary, "watch-upgrade", "--base-path", basePath, "--action", upgrade.actionId,
            "--pid", String(getpid()), "--restart", CommandLine.arguments.dropFirst().joined(separator: "\u{1f}"),
        ] + (service ? ["--service"] : [])
        let process = Process()
        let systemdRun = "/usr/bin/systemd-run"
        if service, FileManager.default.isExecutableFile(atPath: systemdRun) {
            process.executableURL = URL(fileURLWithPath: systemdRun)
            process.arguments = ["--collect", "--quiet", "--unit", "flotilla-upgrade-watch-\(getpid())"] + watch
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            process.arguments = watch
        }
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw FlotillaError(
                "Cannot start the upgrade watcher \(upgrade.previousBinary): \(error.localizedDescription)",
                hint: "the agent keeps running its version"
            )
        }
    }
}
