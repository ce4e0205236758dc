/// Body of `POST /api/fleet/agents/{id}/acks`: the agent reports what it did with delivered actions.
public struct AckRequest: Sendable, Codable, Equatable {
    public var events: [AckEvent]

    public init(events: [AckEvent]) {
        self.events = events
    }

    enum CodingKeys: String, CodingKey {
        case events
    }
}

/// One acknowledgement. A single type covers the generic, upgrade, diagnostics and input-action
/// variants: the variant-specific fields are optional and present only for their action type.
public struct AckEvent: Sendable, Codable, Equatable {
    /// An `AckEventType` raw value; agents send `ACTION_RESULT`. Not acted on by the server.
    public var type: String
    /// An `AckEventSubtype` raw value; agents send `ACKNOWLEDGED`. Not acted on by the server.
    public var subtype: String
    public var agentID: String
    /// The acknowledged action.
    public var actionID: String
    public var message: String
    /// Agent-side RFC 3339 time of the ack (see `RFC3339`).
    public var timestamp: String
    /// Set when the action failed; a non-empty value marks e.g. an upgrade as failed.
    public var error: String?
    /// Upgrade acks from older agents: `{"retry": Bool, "retry_attempt": Int}`.
    public var payload: JSONValue?
    /// Diagnostics acks: `{"upload_id": String}` naming the uploaded bundle.
    public var data: JSONValue?
    /// Input-action acks: the input that ran the action.
    public var actionInputType: String?
    /// Input-action acks: the action's data as received.
    public var actionData: JSONValue?
    /// Input-action acks: what the input produced.
    public var actionResponse: JSONValue?
    /// Input-action acks: RFC 3339 start time.
    public var startedAt: String?
    /// Input-action acks: RFC 3339 end time.
    public var completedAt: String?

    public init(
        type: String = AckEventType.actionResult.rawValue,
        subtype: String = AckEventSubtype.acknowledged.rawValue,
        agentID: String,
        actionID: String,
        message: String,
        timestamp: String,
        error: String? = nil,
        payload: JSONValue? = nil,
        data: JSONValue? = nil,
        actionInputType: String? = nil,
        actionData: JSONValue? = nil,
        actionResponse: JSONValue? = nil,
        startedAt: String? = nil,
        completedAt: String? = nil
    ) {
        self.type = type
        self.subtype = subtype
        self.agentID = agentID
        self.actionID = actionID
        self.message = message
        self.timestamp = timestamp
        self.error = error
        self.payload = payload
        self.data = data
        self.actionInputType = actionInputType
        self.actionData = actionData
        self.actionResponse = actionResponse
        self.startedAt = startedAt
        self.completedAt = completedAt
    }

    /// `true` when the agent reports that the action failed.
    public var isFailure: Bool { !(error ?? "").isEmpty }

    enum CodingKeys: String, CodingKey {
        case type
        case subtype
        case agentID = "agent_id"
        case actionID = "action_id"
        case message
        case timestamp
        case error
        case payload
        case data
        case actionInputType = "action_input_type"
        case actionData = "action_data"
        case actionResponse = "action_response"
        case startedAt = "started_at"
        case completedAt = "completed_at"
    }
}

/// Legacy event categories; only `ACTION_RESULT` is sent by current agents.
public enum AckEventType: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case state = "STATE"
    case error = "ERROR"
    case actionResult = "ACTION_RESULT"
    case action = "ACTION"
}

/// Legacy event subcategories; only `ACKNOWLEDGED` is sent by current agents.
public enum AckEventSubtype: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case running = "RUNNING"
    case starting = "STARTING"
    case inProgress = "IN_PROGRESS"
    case config = "CONFIG"
    case failed = "FAILED"
    case stopping = "STOPPING"
    case stopped = "STOPPED"
    case dataDump = "DATA_DUMP"
    case acknowledged = "ACKNOWLEDGED"
    case unknown = "UNKNOWN"
}

/// Answer to an ack request: `action` is `"acks"`; `items` has one result per event, in order,
/// so the agent can retry only the events that failed.
public struct AckResponse: Sendable, Codable, Equatable {
    public var action: String
    /// `true` when at least one item is not a 2xx.
    public var errors: Bool?
    public var items: [AckResponseItem]?

    public init(action: String = "acks", errors: Bool? = nil, items: [AckResponseItem]? = nil) {
        self.action = action
        self.errors = errors
        self.items = items
    }

    /// Builds the response from per-event results, setting `errors` from them.
    public init(results: [AckResponseItem]) {
        self.init(action: "acks", errors: results.contains { !(200..<300).contains($0.status) }, items: results)
    }

    enum CodingKeys: String, CodingKey {
        case action
        case errors
        case items
    }
}

/// Result for one ack event: an HTTP status code and its reason phrase.
public struct AckResponseItem: Sendable, Codable, Equatable {
    public var status: Int
    public var message: String?

    public init(status: Int, message: String? = nil) {
        self.status = status
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case status
        case message
    }
}
