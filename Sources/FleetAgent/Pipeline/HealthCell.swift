import FleetProtocol
import NIOConcurrencyHelpers

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
