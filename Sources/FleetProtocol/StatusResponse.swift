/// Body of `GET /api/status`. Unauthenticated callers get only `name` and `status`;
/// `version` is added when the request carried a valid API key.
public struct StatusResponse: Sendable, Codable, Equatable {
    /// Service name, `fleet-server` for compatibility with agents and load balancers.
    public var name: String
    /// A `UnitState` raw value; kept as a string so a newer state never breaks a reader.
    public var status: String
    public var version: StatusResponseVersion?

    public init(name: String, status: String, version: StatusResponseVersion? = nil) {
        self.name = name
        self.status = status
        self.version = version
    }

    public init(name: String = "fleet-server", state: UnitState, version: StatusResponseVersion? = nil) {
        self.init(name: name, status: state.rawValue, version: version)
    }

    /// The state named by `status`, ignoring case (the published examples use lower case).
    public var state: UnitState? { UnitState(rawValue: status.uppercased()) }

    enum CodingKeys: String, CodingKey {
        case name
        case status
        case version
    }
}

/// Build details revealed only to authenticated callers, so anonymous probes learn nothing exploitable.
public struct StatusResponseVersion: Sendable, Codable, Equatable {
    public var number: String?
    public var buildHash: String?
    /// RFC 3339 time the binary was built (see `RFC3339`).
    public var buildTime: String?

    public init(number: String? = nil, buildHash: String? = nil, buildTime: String? = nil) {
        self.number = number
        self.buildHash = buildHash
        self.buildTime = buildTime
    }

    enum CodingKeys: String, CodingKey {
        case number
        case buildHash = "build_hash"
        case buildTime = "build_time"
    }
}

/// Unit states of the elastic-agent client protocol, the vocabulary `/api/status` reports in
/// (the HTTP code, 200 or 503, tells a load balancer whether to route to this server).
public enum UnitState: String, Sendable, Codable, Equatable, Hashable, CaseIterable {
    case starting = "STARTING"
    case configuring = "CONFIGURING"
    case healthy = "HEALTHY"
    case degraded = "DEGRADED"
    case failed = "FAILED"
    case stopping = "STOPPING"
    case stopped = "STOPPED"
    case unknown = "UNKNOWN"
}
