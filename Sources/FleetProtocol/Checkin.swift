/// Body of `POST /api/fleet/agents/{id}/checkin`, the agent's long poll.
/// The server answers when it has actions newer than `ackToken` or when the poll times out.
public struct CheckinRequest: Sendable, Codable, Equatable {
    /// A `CheckinStatus` raw value; a string so an unknown status can be refused with a clear 400.
    public var status: String
    /// Free text explaining the status (often the failing component's error); may be empty.
    public var message: String
    /// Token from the previous checkin response; tells the server which actions were already delivered.
    public var ackToken: String?
    /// Host and agent facts; the server updates the agent record only when they changed.
    public var localMetadata: JSONValue?
    /// The components (inputs/outputs and their units) the agent runs, with their states.
    public var components: JSONValue?
    /// How long the agent will wait for an answer, as a Go duration (`"5m"`, `"14m30s"`).
    /// The server answers a little before it so the agent never sees its own timeout.
    public var pollTimeout: String?
    /// Progress of an upgrade in flight; supersedes upgrade acks in newer agents.
    public var upgradeDetails: UpgradeDetails?
    /// Policy the agent is running, so the server can skip resending it.
    public var agentPolicyID: String?
    /// Revision of that policy the agent is running.
    public var policyRevisionIdx: Int64?
    /// Upgrade facts from the agent (e.g. rollback targets); passed through as is.
    public var upgrade: JSONValue?

    public init(
        status: String,
        message: String = "",
        ackToken: String? = nil,
        localMetadata: JSONValue? = nil,
        components: JSONValue? = nil,
        pollTimeout: String? = nil,
        upgradeDetails: UpgradeDetails? = nil,
        agentPolicyID: String? = nil,
        policyRevisionIdx: Int64? = nil,
        upgrade: JSONValue? = nil
    ) {
        self.status = status
        self.message = message
        self.ackToken = ackToken
        self.localMetadata = localMetadata
        self.components = components
        self.pollTimeout = pollTimeout
        self.upgradeDetails = upgradeDetails
        self.agentPolicyID = agentPolicyID
        self.policyRevisionIdx = policyRevisionIdx
        self.upgrade = upgrade
    }

    /// `status` as an enum; `nil` for a value this server does not know.
    public var checkinStatus: CheckinStatus? { CheckinStatus(rawValue: status) }

    /// `pollTimeout` in seconds; `nil` when absent or not a valid Go duration.
    public var pollTimeoutSeconds: Double? { pollTimeout.flatMap(parseGoDuration) }

    enum CodingKeys: String, CodingKey {
        case status
        case message
        case ackToken = "ack_token"
        case localMetadata = "local_metadata"
        case components
        case pollTimeout = "poll_timeout"
        case upgradeDetails = "upgrade_details"
        case agentPolicyID = "agent_policy_id"
        case policyRevisionIdx = "policy_revision_idx"
        case upgrade
    }
}

/// Where an agent is in an upgrade, reported on checkin so the UI can show progress.
public struct UpgradeDetails: Sendable, Codable, Equatable {
    public var targetVersion: String
    /// The UPGRADE action this progress belongs to.
    public var actionID: String
    /// An `UpgradeState` raw value.
    public var state: String
    /// State-specific facts (scheduled time, download percent, failure reason); shape varies with `state`.
    public var metadata: JSONValue?

    public init(targetVersion: String, actionID: String, state: String, metadata: JSONValue? = nil) {
        self.targetVersion = targetVersion
        self.actionID = actionID
        self.state = state
        self.metadata = metadata
    }

    public var upgradeState: UpgradeState? { UpgradeState(rawValue: state) }

    enum CodingKeys: String, CodingKey {
        case targetVersion = "target_version"
        case actionID = "action_id"
        case state
        case metadata
    }
}

/// Steps of an agent upgrade, in the order an agent goes through them.
public enum UpgradeState: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case requested = "UPG_REQUESTED"
    case scheduled = "UPG_SCHEDULED"
    case downloading = "UPG_DOWNLOADING"
    case extracting = "UPG_EXTRACTING"
    case replacing = "UPG_REPLACING"
    case restarting = "UPG_RESTARTING"
    case watching = "UPG_WATCHING"
    case rollback = "UPG_ROLLBACK"
    case failed = "UPG_FAILED"
}

/// Answer to a checkin: `action` is `"checkin"`; `actions` are the ones the agent has not yet been sent.
public struct CheckinResponse: Sendable, Codable, Equatable {
    /// The agent echoes this on its next checkin, acknowledging delivery of `actions`.
    public var ackToken: String?
    public var action: String
    public var actions: [Action]?

    public init(ackToken: String? = nil, action: String = "checkin", actions: [Action]? = []) {
        self.ackToken = ackToken
        self.action = action
        self.actions = actions
    }

    enum CodingKeys: String, CodingKey {
        case ackToken = "ack_token"
        case action
        case actions
    }
}
