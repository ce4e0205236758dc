import FleetProtocol

/// The state of one input or output, in the names Elastic Agent reports for its units.
public struct UnitHealth: Sendable, Equatable {
    /// The contract's unit states (FleetProtocol), which `/api/status` reports in too.
    public typealias Status = UnitState

    public var status: Status
    /// One sentence: what it does now, or what is wrong and what to do.
    public var message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
