import FleetAgent
import FleetProtocol
import FleetServer
import FleetTLS

extension AgentState {
    /// The Fleet Server this agent runs in its own process, decoded from the opaque configuration the agent keeps
    /// in its encrypted state; nil when it runs none.
    var localFleetServer: FleetServerConfiguration? {
        get throws(FlotillaError) {
            guard let fleetServer else { return nil }
            do {
                return try fleetServer.decode(FleetServerConfiguration.self)
            } catch {
                throw FlotillaError("The agent's state holds a Fleet Server configuration this version cannot read", hint: "enroll again with flotilla install --force")
            }
        }
    }

    /// Keeps `configuration` in the agent's state, to be started again by `flotilla run`.
    mutating func setLocalFleetServer(_ configuration: FleetServerConfiguration?) throws {
        fleetServer = try configuration.map { try JSONValue(encoding: $0) }
    }
}
