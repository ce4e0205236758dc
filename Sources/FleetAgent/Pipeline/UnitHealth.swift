import NIOConcurrencyHelpers

/// The state of one input or output, in the names Elastic Agent reports for its units.
public struct UnitHealth: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        case starting = "STARTING"
        case configuring = "CONFIGURING"
        case healthy = "HEALTHY"
        case degraded = "DEGRADED"
        case failed = "FAILED"
        case stopping = "STOPPING"
        case stopped = "STOPPED"
    }

    public var status: Status
    /// One sentence: what it does now, or what is wrong and what to do.
    public var message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
