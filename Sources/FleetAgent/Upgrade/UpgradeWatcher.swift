import FleetProtocol
import FleetTLS
import Foundation
import Logging

/// Watches an upgrade from outside the agent, from the old binary: if the new version has not checked in by the
/// deadline, it puts the old binary back, says why in the agent's state, and stops the new one.
///
/// It is a process of its own (`flotilla watch-upgrade`) because the new binary may never get far enough to roll
/// itself back.
public struct UpgradeWatcher: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The new version checked in: nothing to do.
        case confirmed
        /// The old binary is back at `binary` and the new one was stopped; whoever runs the agent starts it again.
        case rolledBack(reason: String, binary: String)
    }

    let vault: AgentVault
    let actionId: String
    /// The agent process running the new binary.
    let agentPid: Int32
    let logger: Logger

    public init(vault: AgentVault, actionId: String, agentPid: Int32, logger: Logger) {
        self.vault = vault
        self.actionId = actionId
        self.agentPid = agentPid
        self.logger = logger
    }

    /// Waits until the upgrade is confirmed or its deadline passes, checking once a second.
    public func watch() async -> Outcome {
        while !Task.isCancelled {
            guard let state = try? vault.load(), let upgrade = state.upgrade, upgrade.actionId == actionId,
                  upgrade.failure == nil, upgrade.acknowledged != true
            else { return .confirmed }
            if Date() >= upgrade.watchUntil { return rollBack(upgrade) }
            try? await Task.sleep(for: .seconds(1))
        }
        return .confirmed
    }

    /// Puts the old binary back first (so a service manager restarting the agent starts the old one), records why,
    /// then stops the new binary.
    func rollBack(_ upgrade: UpgradeProgress) -> Outcome {
        let reason = "version \(upgrade.targetVersion) did not check in before \(RFC3339.string(from: upgrade.watchUntil)); rolled back to \(upgrade.previousVersion)"
        if rename(upgrade.previousBinary, upgrade.binary) != 0 {
            logger.error("Cannot put \(upgrade.previousBinary) back as \(upgrade.binary): \(String(cString: strerror(errno)))")
        }
        try? vault.update { state in
            state.upgrade?.state = .rollback
            state.upgrade?.failure = reason
        }
        logger.warning("The upgrade to \(upgrade.targetVersion) failed: \(reason)")
        if kill(agentPid, SIGTERM) == 0 {
            for _ in 0..<100 where kill(agentPid, 0) == 0 { usleep(100_000) }
            if kill(agentPid, 0) == 0 { kill(agentPid, SIGKILL) }
        }
        return .rolledBack(reason: reason, binary: upgrade.binary)
    }
}
