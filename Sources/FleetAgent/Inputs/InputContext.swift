import Logging

/// What every input is given: who the agent is (for the events' `agent` and `host` fields), where its events go,
/// and where file positions are kept.
public struct InputContext: Sendable {
    public var agentID: String
    public var agentVersion: String
    public var hostName: String
    /// The queue of the output the input's `use_output` names.
    public var queue: DiskQueue
    public var registry: FileRegistry
    public var logger: Logger

    public init(agentID: String, agentVersion: String, hostName: String, queue: DiskQueue, registry: FileRegistry, logger: Logger) {
        self.agentID = agentID
        self.agentVersion = agentVersion
        self.hostName = hostName
        self.queue = queue
        self.registry = registry
        self.logger = logger
    }
}
