/// Body of `POST /api/fleet/agents/{id}/audit/unenroll`: an agent that is going away says why,
/// so the UI can show it as uninstalled or orphaned rather than merely offline.
public struct AuditUnenrollRequest: Sendable, Codable, Equatable {
    /// An `UnenrollReason` raw value.
    public var reason: String
    /// Agent-side RFC 3339 time of the event; it may be well before the request if the agent retried.
    public var timestamp: String

    public init(reason: String, timestamp: String) {
        self.reason = reason
        self.timestamp = timestamp
    }

    public init(reason: UnenrollReason, timestamp: String) {
        self.init(reason: reason.rawValue, timestamp: timestamp)
    }

    public var unenrollReason: UnenrollReason? { UnenrollReason(rawValue: reason) }

    enum CodingKeys: String, CodingKey {
        case reason
        case timestamp
    }
}

/// Why an agent left without a server-side unenroll.
public enum UnenrollReason: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case uninstall
    case orphaned
    case keyRevoked = "key_revoked"
    case migrated
}
