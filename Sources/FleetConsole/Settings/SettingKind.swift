/// The kinds of console settings, as the store names them.
public enum SettingKind: String, Sendable, CaseIterable {
    case fleetServerHost = "fleet_server_host"
    case output
    case proxy
    /// The console's part of an agent policy (namespace, hosts, outputs...), keyed by the policy's id.
    case agentPolicy = "agent_policy"
    case user
    case apiKey = "api_key"
    case session

    /// The resource's name in the API and the audit log.
    var resource: String {
        switch self {
        case .fleetServerHost: "fleet_server_hosts"
        case .output: "outputs"
        case .proxy: "proxies"
        case .agentPolicy: "agent_policies"
        case .user: "users"
        case .apiKey: "api_keys"
        case .session: "sessions"
        }
    }
}
