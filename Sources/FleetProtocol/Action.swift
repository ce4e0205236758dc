/// An instruction delivered to an agent in a checkin response. `data` depends on `type`.
public struct Action: Sendable, Codable, Equatable {
    /// The agent this copy of the action is addressed to.
    public var agentID: String
    /// RFC 3339 creation time (see `RFC3339`).
    public var createdAt: String
    /// RFC 3339 time before which the agent must not run a scheduled action.
    public var startTime: String?
    /// RFC 3339 time after which the agent drops the action if it has not started it.
    public var expiration: String?
    /// Type-specific payload; `.null` for types that carry none (e.g. UNENROLL).
    public var data: JSONValue
    /// The action ID, which the agent quotes in its acks.
    public var id: String
    /// W3C trace context, so an action can be followed from Kibana to the agent.
    public var traceparent: String?
    /// An `ActionType` raw value; a string so that types this module does not know still decode.
    public var type: String
    /// Which input handles an INPUT_ACTION; empty for other types.
    public var inputType: String
    /// Seconds an INPUT_ACTION may run.
    public var timeout: Int64?
    /// Signature over the action, checked by agents that have tamper protection.
    public var signed: ActionSignature?

    public init(
        agentID: String,
        createdAt: String,
        startTime: String? = nil,
        expiration: String? = nil,
        data: JSONValue = .null,
        id: String,
        traceparent: String? = nil,
        type: String,
        inputType: String = "",
        timeout: Int64? = nil,
        signed: ActionSignature? = nil
    ) {
        self.agentID = agentID
        self.createdAt = createdAt
        self.startTime = startTime
        self.expiration = expiration
        self.data = data
        self.id = id
        self.traceparent = traceparent
        self.type = type
        self.inputType = inputType
        self.timeout = timeout
        self.signed = signed
    }

    /// `data` and `input_type` may be missing (unenroll actions have no data; many senders leave
    /// `input_type` out when empty), so they default instead of failing the whole checkin.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        agentID = try container.decode(String.self, forKey: .agentID)
        createdAt = try container.decode(String.self, forKey: .createdAt)
        startTime = try container.decodeIfPresent(String.self, forKey: .startTime)
        expiration = try container.decodeIfPresent(String.self, forKey: .expiration)
        data = try container.decodeJSONValue(forKey: .data)
        id = try container.decode(String.self, forKey: .id)
        traceparent = try container.decodeIfPresent(String.self, forKey: .traceparent)
        type = try container.decode(String.self, forKey: .type)
        inputType = try container.decodeIfPresent(String.self, forKey: .inputType) ?? ""
        timeout = try container.decodeIfPresent(Int64.self, forKey: .timeout)
        signed = try container.decodeIfPresent(ActionSignature.self, forKey: .signed)
    }

    /// `type` as an enum; `nil` for a type this module does not know.
    public var actionType: ActionType? { ActionType(rawValue: type) }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case createdAt = "created_at"
        case startTime = "start_time"
        case expiration
        case data
        case id
        case traceparent
        case type
        case inputType = "input_type"
        case timeout
        case signed
    }
}

extension Action {
    /// A POLICY_CHANGE action carrying the full policy the agent should now run.
    public static func policyChange(id: String, agentID: String, createdAt: String, policy: JSONValue) -> Action {
        Action(
            agentID: agentID, createdAt: createdAt,
            data: .object(["policy": policy]),
            id: id, type: ActionType.policyChange.rawValue)
    }

    /// An UNENROLL action: the agent stops talking to fleet and, once it acks, its keys are revoked.
    public static func unenroll(id: String, agentID: String, createdAt: String) -> Action {
        Action(agentID: agentID, createdAt: createdAt, id: id, type: ActionType.unenroll.rawValue)
    }

    /// The policy of a POLICY_CHANGE action; `nil` for other types or when `data.policy` is missing.
    public var policy: JSONValue? {
        guard actionType == .policyChange, let policy = data["policy"], !policy.isNull else { return nil }
        return policy
    }
}

/// Kinds of action fleet-server delivers. Anything else is dropped server-side with a log line.
public enum ActionType: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case upgrade = "UPGRADE"
    case unenroll = "UNENROLL"
    case policyChange = "POLICY_CHANGE"
    case policyReassign = "POLICY_REASSIGN"
    case settings = "SETTINGS"
    case inputAction = "INPUT_ACTION"
    case cancel = "CANCEL"
    case requestDiagnostics = "REQUEST_DIAGNOSTICS"
    case migrate = "MIGRATE"
    case privilegeLevelChange = "PRIVILEGE_LEVEL_CHANGE"
    /// Flotilla's addition: renew the issued client certificate now (an agent CA rotation moving every agent on).
    case certificateRenew = "CERTIFICATE_RENEW"
}

/// `data` of a POLICY_CHANGE action. The policy stays raw JSON: the server only relays it
/// (after filling in output API keys), and its shape grows with every stack release.
public struct PolicyChangeData: Sendable, Codable, Equatable {
    public var policy: JSONValue

    public init(policy: JSONValue) {
        self.policy = policy
    }

    enum CodingKeys: String, CodingKey {
        case policy
    }
}

/// Detached signature of an action or policy: `data` is the base64 of the exact JSON bytes signed.
public struct ActionSignature: Sendable, Codable, Equatable {
    public var data: String
    public var signature: String

    public init(data: String, signature: String) {
        self.data = data
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case data
        case signature
    }
}
