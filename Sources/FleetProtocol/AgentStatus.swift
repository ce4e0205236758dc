/// What an agent says about itself on each checkin (`CheckinRequest.status`).
/// `disconnected` exists for OpAMP-managed collectors reporting through the same path.
public enum CheckinStatus: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case online
    case error
    case degraded
    case starting
    case disconnected
}

/// How an agent enrolls (`EnrollRequest.type`). Elastic's agent only sends `PERMANENT`;
/// `EPHEMERAL` is accepted for short-lived agents whose records may be reaped once they go quiet.
public enum EnrollmentType: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case permanent = "PERMANENT"
    case ephemeral = "EPHEMERAL"
}
