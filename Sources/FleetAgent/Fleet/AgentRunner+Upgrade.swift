import FleetProtocol
import FleetTLS
import Foundation

extension AgentRunner {
    /// Starts an UPGRADE beside the check-ins, which go on and report its progress. Once the new binary is in
    /// place the loop stops so that the program can restart into it, and the new version acknowledges the action;
    /// a failure is acknowledged with its sentence and leaves the agent as it was. Returns why it cannot start.
    func startUpgrade(_ action: Action, state: inout AgentState, connection: FleetConnection) -> String? {
        if let current = state.upgrade, current.failure == nil, current.acknowledged != true {
            return "An upgrade to \(current.targetVersion) is under way"
        }
        guard let request = try? action.data.decode(UpgradeActionData.self) else {
            return "The UPGRADE action \(action.id) carries no version to upgrade to"
        }
        let progress = UpgradeProgress(
            actionId: action.id, targetVersion: request.version, previousVersion: FlotillaVersion.current, state: .downloading,
            binary: upgrader.binary, previousBinary: upgrader.previousBinary, watchUntil: .distantFuture
        )
        do { try vault.update { $0.upgrade = progress } } catch { return "\(error)" }
        state.upgrade = progress
        // Set before the task starts, so that its progress and its end are never overtaken.
        upgradeWork.withLockedValue { $0 = UpgradeWork(expectedSize: request.size) }
        Task { await runUpgrade(action, connection: connection) }
        return nil
    }

    /// The upgrade's work: download, checks, swap. The outcome goes into the saved state, and the long poll under
    /// way is cut short so that the next check-in reports it (or the loop stops to restart).
    func runUpgrade(_ action: Action, connection: FleetConnection) async {
        let reporter = Task {
            // A long download is reported as it goes: a check-in every tenth of the file, at most every 5 s.
            var reported = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                guard let percent = downloadPercent(), percent >= reported + 10 else { continue }
                reported = percent
                interruptPoll()
            }
        }
        defer { reporter.cancel() }
        do {
            var state = try vault.loadEnrolled()
            let progress = try await upgrader.install(action, state: &state, connection: connection) { sink in
                upgradeWork.withLockedValue { $0?.sink = sink }
            }
            let pinned = state.releaseKey
            try vault.update { state in
                state.releaseKey = pinned
                state.upgrade = progress
            }
            restart.withLockedValue { $0 = progress }
        } catch {
            let reason = "\(error)"
            logger.error("The upgrade (\(action.id)) failed: \(reason)")
            try? vault.update { state in
                guard state.upgrade?.actionId == action.id else { return }
                state.upgrade?.failure = reason
            }
        }
        upgradeWork.withLockedValue { $0 = nil }
        interruptPoll()
    }

    /// How far the download has come, in percent, when its size is known.
    func downloadPercent() -> Int? {
        upgradeWork.withLockedValue { work in
            guard let work, let sink = work.sink, let size = work.expectedSize, size > 0 else { return nil }
            return Int(min(100, sink.written * 100 / size))
        }
    }

    /// What a check-in says of `upgrade`: its details, with the download's progress while it runs.
    func reported(_ upgrade: UpgradeProgress) -> UpgradeDetails? {
        guard var details = upgrade.reported else { return nil }
        if upgrade.state == .downloading, upgrade.failure == nil {
            details.metadata = ["download_percent": .number(Double(downloadPercent() ?? 0))]
        }
        return details
    }

    /// Cuts the long poll under way short (or the next one, if none is), so that a check-in reports now.
    func interruptPoll() {
        pollControl.withLockedValue { control in
            control.interrupted = true
            control.task?.cancel()
        }
    }

    /// What the state's upgrade means now that this binary runs: a new version checking in for the first time
    /// watches; a binary that is not the target after the restart (the swap was undone) fails the upgrade.
    func resumeUpgrade(_ state: inout AgentState) {
        guard var upgrade = state.upgrade, upgrade.failure == nil else { return }
        // A download this process does not run was cut off by a stop: the upgrade failed, the agent is as it was.
        if upgrade.state == .downloading, upgradeWork.withLockedValue({ $0 == nil }) {
            upgrade.failure = "the agent stopped while it downloaded \(upgrade.targetVersion); send the upgrade again"
            state.upgrade = upgrade
            try? vault.update { $0.upgrade = upgrade }
            return
        }
        guard upgrade.state == .restarting else { return }
        defer {
            let resumed = state.upgrade
            try? vault.update { $0.upgrade = resumed }
        }
        if FlotillaVersion.current == upgrade.targetVersion {
            upgrade.state = .watching
        } else {
            upgrade.failure = "the agent restarted as \(FlotillaVersion.current), not \(upgrade.targetVersion)"
        }
        state.upgrade = upgrade
    }

    /// Before the check-in's long poll: the new version acknowledges its upgrade (or the old one, back after a
    /// rollback, its failure). That request reaching Fleet Server is what confirms the new version; the state keeps
    /// the upgrade until the check-in after it has reported it.
    func settleUpgrade(_ state: inout AgentState, over connection: FleetConnection) async throws(FlotillaError) {
        guard let upgrade = state.upgrade, upgrade.acknowledged != true, upgrade.state == .watching || upgrade.failure != nil else {
            return
        }
        try await acknowledge(
            [Self.acknowledgement(of: upgrade, agentId: state.agentId)],
            state: state,
            over: connection
        )
        state.upgrade?.acknowledged = true
        try vault.update { stored in
            if stored.upgrade?.actionId == upgrade.actionId { stored.upgrade?.acknowledged = true }
        }
        if upgrade.failure == nil { logger.info("Upgraded to \(upgrade.targetVersion)") }
    }

    static func acknowledgement(of upgrade: UpgradeProgress, agentId: String) -> AckEvent {
        AckEvent(
            agentID: agentId, actionID: upgrade.actionId,
            message: upgrade.failure == nil ? "Upgraded to \(upgrade.targetVersion)" : "Failed",
            timestamp: RFC3339.string(from: Date()), error: upgrade.failure
        )
    }
}
