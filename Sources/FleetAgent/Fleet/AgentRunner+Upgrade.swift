import FleetProtocol
import FleetTLS
import Foundation

extension AgentRunner {
    /// Starts an UPGRADE: on success the new binary is in place and the agent stops checking in so that its
    /// program can restart into it; the action is acknowledged by the new version once it checks in. A failure is
    /// returned as the acknowledgement's error and leaves the agent as it was.
    func startUpgrade(_ action: Action, state: inout AgentState, connection: FleetConnection) async -> String? {
        if let current = state.upgrade, current.failure == nil {
            return "An upgrade to \(current.targetVersion) is under way"
        }
        do {
            let progress = try await upgrader.install(action, state: &state, connection: connection)
            state.upgrade = progress
            restart.withLockedValue { $0 = progress }
            return nil
        } catch {
            logger.error("The upgrade (\(action.id)) failed: \(error.description)")
            return error.description
        }
    }

    /// What the state's upgrade means now that this binary runs: a new version checking in for the first time
    /// watches; a binary that is not the target after the restart (the swap was undone) fails the upgrade.
    func resumeUpgrade(_ state: inout AgentState) {
        guard var upgrade = state.upgrade, upgrade.failure == nil, upgrade.state == .restarting else { return }
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
        try vault.save(state)
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
