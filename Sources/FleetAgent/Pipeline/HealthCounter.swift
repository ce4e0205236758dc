import NIOConcurrencyHelpers

/// A count shared between the task that runs a unit and whoever reports on it.
public final class HealthCounter: Sendable {
    private let count = NIOLockedValueBox(0)

    public init() {}

    public var value: Int { count.withLockedValue { $0 } }

    public func add(_ amount: Int = 1) {
        count.withLockedValue { $0 += amount }
    }
}
