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

/// A unit's health, set by the task that runs it and read by the check-in.
public final class HealthCell: Sendable {
    private let value: NIOLockedValueBox<UnitHealth>

    public init(_ initial: UnitHealth = UnitHealth(.starting, "Starting")) {
        value = NIOLockedValueBox(initial)
    }

    public var current: UnitHealth { value.withLockedValue { $0 } }

    public func set(_ status: UnitHealth.Status, _ message: String) {
        value.withLockedValue { $0 = UnitHealth(status, message) }
    }
}
