import FleetProtocol
import FleetTLS
import Foundation

/// Enrolls this host into a Fleet Server with an enrollment token.
public enum Enrollment {
    public static func enroll(
        url: String,
        token: String,
        tls: TLSSettings,
        tags: [String] = [],
        id: String? = nil,
        replaceToken: String? = nil,
        options: FleetConnectionOptions = FleetConnectionOptions()
    ) async throws(FlotillaError) -> AgentState {
        let connection = try FleetConnection(url: url, tls: tls, options: options)
        let request = EnrollRequest(
            id: id, type: EnrollmentType.permanent.rawValue, replaceToken: replaceToken,
            metadata: EnrollMetadata(local: AgentMetadata.local(), tags: tags)
        )
        let body = try? JSONEncoder().encode(request)
        let answer = try await connection.send("POST", "/api/fleet/agents/enroll", body: body, authorization: "ApiKey \(token)")
        switch answer.status {
        case 200:
            guard let response = try? JSONDecoder().decode(EnrollResponse.self, from: answer.body) else {
                throw FlotillaError("The Fleet Server at \(url) answered the enrollment with something this agent cannot read", hint: "check that the URL points at a Fleet Server")
            }
            return AgentState(
                agentId: response.item.id, accessAPIKey: response.item.accessAPIKey, fleetHosts: [url], fleetTLS: tls, connection: options,
                policyId: response.item.policyID, enrolledAt: response.item.enrolledAt, tags: response.item.tags
            )
        case 401:
            throw FlotillaError("The Fleet Server at \(url) refused the enrollment token: \(answer.message)", hint: "check --enrollment-token, or make a new one with flotilla server tokens create")
        case 429:
            throw FlotillaError("The Fleet Server at \(url) is enrolling too many agents at once", hint: "retry in \(answer.headers["retry-after"] ?? "a few") seconds")
        default:
            throw FlotillaError("The Fleet Server at \(url) refused the enrollment (\(answer.status)): \(answer.message)", hint: "look at the Fleet Server's log")
        }
    }
}
