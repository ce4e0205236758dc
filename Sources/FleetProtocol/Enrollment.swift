/// Body of `POST /api/fleet/agents/enroll`, sent with an enrollment API key that names the policy.
public struct EnrollRequest: Sendable, Codable, Equatable {
    /// Agent ID chosen by the agent; when absent the server makes one. Reusing an ID replaces the old agent.
    public var id: String?
    /// An `EnrollmentType` raw value; a string so an unknown type can be refused with a clear 400.
    public var type: String
    /// Proves the right to replace an existing agent that has the same `id`.
    public var replaceToken: String?
    /// Stable per-install ID: an earlier agent with this value that never checked in is dropped.
    public var enrollmentID: String?
    /// Deprecated and never acted on; decoded only so old agents are not rejected.
    public var sharedID: String?
    public var metadata: EnrollMetadata
    /// Flotilla's addition: a PEM PKCS#10 request over a key the agent made. A Fleet Server with an agent CA answers
    /// with a client certificate bound to the agent; one without ignores it. Absent for Elastic's agents.
    public var csr: String?

    public init(
        id: String? = nil,
        type: String,
        replaceToken: String? = nil,
        enrollmentID: String? = nil,
        sharedID: String? = nil,
        metadata: EnrollMetadata,
        csr: String? = nil
    ) {
        self.csr = csr
        self.id = id
        self.type = type
        self.replaceToken = replaceToken
        self.enrollmentID = enrollmentID
        self.sharedID = sharedID
        self.metadata = metadata
    }

    public init(
        id: String? = nil,
        enrollmentType: EnrollmentType = .permanent,
        replaceToken: String? = nil,
        enrollmentID: String? = nil,
        metadata: EnrollMetadata,
        csr: String? = nil
    ) {
        self.init(
            id: id, type: enrollmentType.rawValue, replaceToken: replaceToken,
            enrollmentID: enrollmentID, metadata: metadata, csr: csr)
    }

    /// `type` as an enum; `nil` for a value this server does not know.
    public var enrollmentType: EnrollmentType? { EnrollmentType(rawValue: type) }

    enum CodingKeys: String, CodingKey {
        case id
        case type
        case replaceToken = "replace_token"
        case enrollmentID = "enrollment_id"
        case sharedID = "shared_id"
        case metadata
        case csr
    }
}

/// What the agent tells about itself at enrollment; copied into the new agent record.
public struct EnrollMetadata: Sendable, Codable, Equatable {
    /// Deprecated free-form object; carried through unchanged. Absent or `null` reads as `.null`.
    public var userProvided: JSONValue
    /// Host and agent facts (ECS-shaped: `elastic.agent.id`, `host.hostname`, ...).
    /// The server writes the final agent ID into `elastic.agent.id` when that path exists.
    public var local: JSONValue
    /// Tags that end up on the agent record, used for filtering in the UI.
    public var tags: [String]?

    public init(userProvided: JSONValue = .object([:]), local: JSONValue, tags: [String]? = nil) {
        self.userProvided = userProvided
        self.local = local
        self.tags = tags
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userProvided = try container.decodeJSONValue(forKey: .userProvided)
        local = try container.decodeJSONValue(forKey: .local)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
    }

    enum CodingKeys: String, CodingKey {
        case userProvided = "user_provided"
        case local
        case tags
    }
}

/// Body of a successful enrollment: `action` is `"created"` and `item` describes the new agent.
public struct EnrollResponse: Sendable, Codable, Equatable {
    public var action: String
    public var item: EnrollResponseItem

    public init(action: String = "created", item: EnrollResponseItem) {
        self.action = action
        self.item = item
    }

    enum CodingKeys: String, CodingKey {
        case action
        case item
    }
}

/// The enrolled agent. What the agent really keeps is `id` and the API key pair, which it
/// presents as `Authorization: ApiKey base64(id:key)` on every later call.
public struct EnrollResponseItem: Sendable, Codable, Equatable {
    public var id: String
    /// Always `true` on enrollment; kept for old clients.
    public var active: Bool
    /// Policy the enrollment key belongs to.
    public var policyID: String
    /// Echo of the enrollment type.
    public var type: String
    /// RFC 3339 enrollment time (see `RFC3339`).
    public var enrolledAt: String
    /// Echo of the request's `user_provided` metadata; unused by agents.
    public var userProvidedMetadata: JSONValue
    /// Echo of the (ID-patched) `local` metadata; unused by agents.
    public var localMetadata: JSONValue
    /// Deprecated, always empty; decoded only for completeness.
    public var actions: [JSONValue]?
    /// ID of the API key minted for this agent.
    public var accessAPIKeyID: String
    /// Secret half of that API key. Never log it.
    public var accessAPIKey: String
    /// Agent status at creation (`online`); unused by agents.
    public var status: String
    public var tags: [String]
    /// Flotilla's addition, when the request carried a CSR and the server has an agent CA: the issued certificate.
    public var certificate: IssuedCertificate?
    /// Flotilla's addition, when the fleet has one: the release key (minisign `.pub` text) the agent pins and
    /// checks upgrades against.
    public var releaseKey: String?

    public init(
        id: String,
        active: Bool = true,
        policyID: String,
        type: String,
        enrolledAt: String,
        userProvidedMetadata: JSONValue = .object([:]),
        localMetadata: JSONValue,
        actions: [JSONValue]? = [],
        accessAPIKeyID: String,
        accessAPIKey: String,
        status: String = CheckinStatus.online.rawValue,
        tags: [String] = [],
        certificate: IssuedCertificate? = nil,
        releaseKey: String? = nil
    ) {
        self.certificate = certificate
        self.releaseKey = releaseKey
        self.id = id
        self.active = active
        self.policyID = policyID
        self.type = type
        self.enrolledAt = enrolledAt
        self.userProvidedMetadata = userProvidedMetadata
        self.localMetadata = localMetadata
        self.actions = actions
        self.accessAPIKeyID = accessAPIKeyID
        self.accessAPIKey = accessAPIKey
        self.status = status
        self.tags = tags
    }

    /// Strict on the contract's fields, except the echoed metadata and tags, which a Go server
    /// sends as `null` when unset.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        active = try container.decode(Bool.self, forKey: .active)
        policyID = try container.decode(String.self, forKey: .policyID)
        type = try container.decode(String.self, forKey: .type)
        enrolledAt = try container.decode(String.self, forKey: .enrolledAt)
        userProvidedMetadata = try container.decodeJSONValue(forKey: .userProvidedMetadata)
        localMetadata = try container.decodeJSONValue(forKey: .localMetadata)
        actions = try container.decodeIfPresent([JSONValue].self, forKey: .actions)
        accessAPIKeyID = try container.decode(String.self, forKey: .accessAPIKeyID)
        accessAPIKey = try container.decode(String.self, forKey: .accessAPIKey)
        status = try container.decode(String.self, forKey: .status)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        certificate = try container.decodeIfPresent(IssuedCertificate.self, forKey: .certificate)
        releaseKey = try container.decodeIfPresent(String.self, forKey: .releaseKey)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case active
        case policyID = "policy_id"
        case type
        case enrolledAt = "enrolled_at"
        case userProvidedMetadata = "user_provided_metadata"
        case localMetadata = "local_metadata"
        case actions
        case accessAPIKeyID = "access_api_key_id"
        case accessAPIKey = "access_api_key"
        case status
        case tags
        case certificate
        case releaseKey = "release_key"
    }
}
