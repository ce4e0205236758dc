import FleetProtocol
import Foundation

/// An upgrade under way, kept in the agent's encrypted state across the restart into the new binary: what the
/// watcher needs to put the old binary back, and what the check-ins report as `upgrade_details`.
public struct UpgradeProgress: Codable, Sendable, Equatable {
    public var actionId: String
    public var targetVersion: String
    public var previousVersion: String
    public var state: UpgradeState
    /// The binary that was replaced, and where the old one was kept.
    public var binary: String
    public var previousBinary: String
    /// The new version must check in before this, or the watcher rolls back.
    public var watchUntil: Date
    /// Why the upgrade failed, once it did.
    public var failure: String?
    /// Whether Fleet Server accepted the action's acknowledgement: the new version reached it (or the failure was
    /// told). The watcher stands down; the state forgets the upgrade after the next check-in.
    /// Optional so that a state written before this field existed still reads.
    public var acknowledged: Bool?

    public init(
        actionId: String, targetVersion: String, previousVersion: String, state: UpgradeState, binary: String,
        previousBinary: String, watchUntil: Date, failure: String? = nil
    ) {
        self.actionId = actionId
        self.targetVersion = targetVersion
        self.previousVersion = previousVersion
        self.state = state
        self.binary = binary
        self.previousBinary = previousBinary
        self.watchUntil = watchUntil
        self.failure = failure
    }

    /// What the check-in reports: nothing once a success was acknowledged (that clears the stored details).
    public var reported: UpgradeDetails? { acknowledged == true && failure == nil ? nil : details }

    /// The check-in's `upgrade_details`.
    public var details: UpgradeDetails {
        var metadata: JSONValue?
        if let failure { metadata = ["failed_state": .string(state.rawValue), "error_msg": .string(failure)] }
        return UpgradeDetails(
            targetVersion: targetVersion, actionID: actionId, state: failure == nil ? state.rawValue : UpgradeState.failed.rawValue,
            metadata: metadata
        )
    }
}
