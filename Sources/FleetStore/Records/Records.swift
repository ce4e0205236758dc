import Foundation

/// An agent policy: what agents on it run. Each change raises `revision`; agents are told of a newer revision.
public struct PolicyRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var revision: Int
    /// A Fleet Server policy is the one a bootstrapped Fleet Server's own agent is enrolled in.
    public var isFleetServerPolicy: Bool
    /// The policy body as JSON text: `outputs`, `inputs`, `fleet`, ... (what agents receive, less id and revision).
    public var body: String
    public var updatedAt: Date

    public init(id: String, name: String, revision: Int = 1, isFleetServerPolicy: Bool = false, body: String = "{}", updatedAt: Date = Date()) {
        self.id = id
        self.name = name
        self.revision = revision
        self.isFleetServerPolicy = isFleetServerPolicy
        self.body = body
        self.updatedAt = updatedAt
    }
}

/// An enrollment token: bound to a policy, stored as a hash of its secret, with optional expiry and use limit.
public struct EnrollmentTokenRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var policyId: String
    public var secretHash: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var maxUses: Int?
    public var uses: Int
    public var revoked: Bool

    public init(id: String, name: String, policyId: String, secretHash: String, createdAt: Date = Date(), expiresAt: Date? = nil, maxUses: Int? = nil, uses: Int = 0, revoked: Bool = false) {
        self.id = id
        self.name = name
        self.policyId = policyId
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.uses = uses
        self.revoked = revoked
    }
}

/// An enrolled agent. Its access API key is stored as id + hash of the secret half.
public struct AgentRecord: Sendable, Equatable {
    public var id: String
    public var policyId: String
    /// PERMANENT or EPHEMERAL.
    public var type: String
    public var apiKeyId: String
    public var apiKeyHash: String
    public var apiKeyRevoked: Bool
    public var replaceTokenHash: String?
    public var enrolledAt: Date
    public var tags: [String]
    /// JSON text of the agent's local metadata.
    public var localMetadata: String
    /// online / error / degraded / starting, as last reported; "unenrolled" once it is uninstalled.
    public var lastStatus: String?
    public var lastMessage: String?
    public var lastCheckinAt: Date?
    /// The policy revision the agent last said it runs.
    public var policyRevision: Int?
    public var unenrolledAt: Date?
    /// Subject and SHA-256 fingerprint of the client certificate it last presented, under mutual TLS.
    public var certificateSubject: String?
    public var certificateFingerprint: String?
    public var certificateIssuer: String?
    public var certificateNotAfter: Date?
    /// JSON text of the components (inputs, outputs and their units) the agent last reported.
    public var components: String?
    /// JSON text of the `upgrade_details` of its last check-in: an upgrade under way, or how it failed.
    public var upgradeDetails: String?

    public init(
        id: String, policyId: String, type: String, apiKeyId: String, apiKeyHash: String, apiKeyRevoked: Bool = false,
        replaceTokenHash: String? = nil, enrolledAt: Date = Date(), tags: [String] = [], localMetadata: String = "{}",
        lastStatus: String? = nil, lastMessage: String? = nil, lastCheckinAt: Date? = nil, policyRevision: Int? = nil,
        unenrolledAt: Date? = nil, certificateSubject: String? = nil, certificateFingerprint: String? = nil,
        certificateIssuer: String? = nil, certificateNotAfter: Date? = nil, components: String? = nil,
        upgradeDetails: String? = nil
    ) {
        self.components = components
        self.upgradeDetails = upgradeDetails
        self.id = id
        self.policyId = policyId
        self.type = type
        self.apiKeyId = apiKeyId
        self.apiKeyHash = apiKeyHash
        self.apiKeyRevoked = apiKeyRevoked
        self.replaceTokenHash = replaceTokenHash
        self.enrolledAt = enrolledAt
        self.tags = tags
        self.localMetadata = localMetadata
        self.lastStatus = lastStatus
        self.lastMessage = lastMessage
        self.lastCheckinAt = lastCheckinAt
        self.policyRevision = policyRevision
        self.unenrolledAt = unenrolledAt
        self.certificateSubject = certificateSubject
        self.certificateFingerprint = certificateFingerprint
        self.certificateIssuer = certificateIssuer
        self.certificateNotAfter = certificateNotAfter
    }
}

/// An action for some agents. `sequence` orders actions store-wide; an agent's ack token is the last one it got.
public struct ActionRecord: Sendable, Equatable {
    public var sequence: Int64
    public var id: String
    public var type: String
    public var agentIds: [String]
    /// JSON text of the action's data.
    public var data: String
    public var createdAt: Date
    public var expiresAt: Date?

    public init(sequence: Int64 = 0, id: String, type: String, agentIds: [String], data: String = "{}", createdAt: Date = Date(), expiresAt: Date? = nil) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.agentIds = agentIds
        self.data = data
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What an agent said of one action.
public struct ActionResultRecord: Sendable, Equatable {
    public var actionId: String
    public var agentId: String
    /// Empty when the action succeeded.
    public var error: String
    public var payload: String
    public var createdAt: Date

    public init(actionId: String, agentId: String, error: String = "", payload: String = "{}", createdAt: Date = Date()) {
        self.actionId = actionId
        self.agentId = agentId
        self.error = error
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// The last check-in of an agent, kept in memory and written in batches.
public struct CheckinRecord: Sendable, Equatable {
    public var agentId: String
    public var at: Date
    public var status: String
    public var message: String
    public var policyRevision: Int?
    public var localMetadata: String?
    public var certificateSubject: String?
    public var certificateFingerprint: String?
    public var certificateIssuer: String?
    public var certificateNotAfter: Date?
    /// JSON text of the agent's components; `nil` keeps what is stored.
    public var components: String?
    /// JSON text of the check-in's `upgrade_details`; `nil` clears what is stored (no upgrade under way).
    public var upgradeDetails: String?

    public init(
        agentId: String, at: Date, status: String, message: String, policyRevision: Int? = nil, localMetadata: String? = nil,
        certificateSubject: String? = nil, certificateFingerprint: String? = nil, certificateIssuer: String? = nil, certificateNotAfter: Date? = nil,
        components: String? = nil, upgradeDetails: String? = nil
    ) {
        self.components = components
        self.upgradeDetails = upgradeDetails
        self.agentId = agentId
        self.at = at
        self.status = status
        self.message = message
        self.policyRevision = policyRevision
        self.localMetadata = localMetadata
        self.certificateSubject = certificateSubject
        self.certificateFingerprint = certificateFingerprint
        self.certificateIssuer = certificateIssuer
        self.certificateNotAfter = certificateNotAfter
    }
}

/// A service token as listed: never its secret, only whether it still works.
public struct ServiceTokenRecord: Sendable, Equatable {
    public var name: String
    public var createdAt: Date
    public var revoked: Bool

    public init(name: String, createdAt: Date, revoked: Bool) {
        self.name = name
        self.createdAt = createdAt
        self.revoked = revoked
    }
}
