import FleetProtocol

/// The console's part of an agent policy: what Kibana keeps of it, beside the policy record the Fleet Servers
/// hand out. The policy agents receive is composed from it with the hosts, outputs and proxies it names.
public struct AgentPolicySettings: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var namespace: String
    public var description: String?
    /// The Fleet Server host agents on this policy use; nil means the default one.
    public var fleetServerHostId: String?
    /// nil means the default output, and the default monitoring output.
    public var dataOutputId: String?
    public var monitoringOutputId: String?
    /// Seconds without a check-in after which an agent counts as inactive.
    public var inactivityTimeout: Int
    public var hasFleetServer: Bool
    /// logs, metrics: what the agents' own monitoring sends.
    public var monitoringEnabled: [String]
    /// The policy's inputs, as agents receive them.
    public var inputs: [JSONValue]

    public init(
        id: String, name: String, namespace: String = "default", description: String? = nil, fleetServerHostId: String? = nil,
        dataOutputId: String? = nil, monitoringOutputId: String? = nil, inactivityTimeout: Int = 1_209_600,
        hasFleetServer: Bool = false, monitoringEnabled: [String] = [], inputs: [JSONValue] = []
    ) {
        self.id = id
        self.name = name
        self.namespace = namespace
        self.description = description
        self.fleetServerHostId = fleetServerHostId
        self.dataOutputId = dataOutputId
        self.monitoringOutputId = monitoringOutputId
        self.inactivityTimeout = inactivityTimeout
        self.hasFleetServer = hasFleetServer
        self.monitoringEnabled = monitoringEnabled
        self.inputs = inputs
    }

    enum CodingKeys: String, CodingKey {
        case id, name, namespace, description, fleetServerHostId = "fleet_server_host_id", dataOutputId = "data_output_id"
        case monitoringOutputId = "monitoring_output_id", inactivityTimeout = "inactivity_timeout"
        case hasFleetServer = "has_fleet_server", monitoringEnabled = "monitoring_enabled", inputs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decodeIfPresent(String.self, forKey: .id) ?? "",
            name: try c.decode(String.self, forKey: .name),
            namespace: try c.decodeIfPresent(String.self, forKey: .namespace) ?? "default",
            description: try c.decodeIfPresent(String.self, forKey: .description),
            fleetServerHostId: try c.decodeIfPresent(String.self, forKey: .fleetServerHostId),
            dataOutputId: try c.decodeIfPresent(String.self, forKey: .dataOutputId),
            monitoringOutputId: try c.decodeIfPresent(String.self, forKey: .monitoringOutputId),
            inactivityTimeout: try c.decodeIfPresent(Int.self, forKey: .inactivityTimeout) ?? 1_209_600,
            hasFleetServer: try c.decodeIfPresent(Bool.self, forKey: .hasFleetServer) ?? false,
            monitoringEnabled: try c.decodeIfPresent([String].self, forKey: .monitoringEnabled) ?? [],
            inputs: try c.decodeIfPresent([JSONValue].self, forKey: .inputs) ?? []
        )
    }
}
