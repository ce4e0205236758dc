import FleetTLS

/// An output: delivers batches of events and says, for each, whether it landed, must be tried again, or was
/// refused for good. The retries, the dead-letter file and the acknowledgements are `OutputWorker`'s, written once
/// for every kind of output.
public protocol AgentOutput: Sendable {
    /// The output's id in the policy (`outputs.<id>`).
    var id: String { get }
    /// `elasticsearch`, `remote_elasticsearch`, `file`.
    var type: String { get }
    /// How many events one `publish` should carry.
    var batchSize: Int { get }
    /// How long a batch may wait to fill before it is sent anyway, in seconds.
    var flushInterval: Double { get }
    /// Sends `events`; a thrown error means the whole request failed and nothing is known to have landed.
    func publish(_ events: [QueuedEvent]) async throws(FlotillaError) -> PublishResult
    /// Checks that the output can be reached and accepts this agent (TLS, credentials) without sending events:
    /// new settings are tried this way before they replace working ones.
    func probe() async throws(FlotillaError)
    /// Closes its connections.
    func close()
}

extension AgentOutput {
    public var batchSize: Int { 1600 }
    public var flushInterval: Double { 1 }
    public func close() {}
}
