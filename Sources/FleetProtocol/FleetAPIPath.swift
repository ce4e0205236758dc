/// The agent-facing routes, spelled once so client and server cannot drift apart.
public enum FleetAPIPath {
    public static let status = "/api/status"
    public static let enroll = "/api/fleet/agents/enroll"

    public static func checkin(agentID: String) -> String { "/api/fleet/agents/\(agentID)/checkin" }
    public static func acks(agentID: String) -> String { "/api/fleet/agents/\(agentID)/acks" }
    /// Flotilla's addition to the contract: an agent asks for a new client certificate from a CSR.
    public static func certificate(agentID: String) -> String { "/api/fleet/agents/\(agentID)/certificate" }
    public static func auditUnenroll(agentID: String) -> String { "/api/fleet/agents/\(agentID)/audit/unenroll" }
}
