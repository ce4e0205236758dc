/// An input: reads something on the host and appends events to its output's queue until its task is cancelled.
/// A policy change that alters an input stops it and starts the new one; what it had delivered stays delivered,
/// since positions live in the registry.
public protocol AgentInput: Sendable {
    /// The input's id from the policy (`inputs[].id`), also its unit id in the check-in.
    var id: String { get }
    /// The input's type as the policy names it (`logfile`, `system/metrics`).
    var type: String { get }
    var health: HealthCell { get }
    /// Reads until cancelled.
    func run() async
}
