import FleetProtocol
import FleetTLS
import Foundation

/// Enrolls this host into a Fleet Server with an enrollment token.
public enum Enrollment {
    /// Enrolls, and asks for a client certificate over a key made here: a Fleet Server with an agent CA answers
    /// with one bound to the agent, which the agent presents from then on; one without ignores the request.
    /// - Parameter requestCertificate: false sends no CSR, as Elastic's agents do.
    public static func enroll(
        url: String,
        token: String,
        tls: TLSSettings,
        tags: [String] = [],
        id: String? = nil,
        replaceToken: String? = nil,
        options: FleetConnectionOptions = FleetConnectionOptions(),
        requestCertificate: Bool = true
    ) async throws(FlotillaError) -> AgentState {
        let connection = try FleetConnection(url: url, tls: tls, options: options)
        let keyPair = requestCertificate ? AgentKeyPair() : nil
        let request = EnrollRequest(
            id: id, type: EnrollmentType.permanent.rawValue, replaceToken: replaceToken,
            metadata: EnrollMetadata(local: AgentMetadata.local(), tags: tags),
            csr: try keyPair?.csrPEM(commonName: ProcessInfo.processInfo.hostName)
        )
        let body = try? JSONEncoder().encode(request)
        let answer = try await connection.send("POST", "/api/fleet/agents/enroll", body: body, authorization: "ApiKey \(token)")
        switch answer.status {
        case 200:
            guard let response = try? JSONDecoder().decode(EnrollResponse.self, from: answer.body) else {
                throw FlotillaError("The Fleet Server at \(url) answered the enrollment with something this agent cannot read", hint: "check that the URL points at a Fleet Server")
            }
            var state = AgentState(
                agentId: response.item.id, accessAPIKey: response.item.accessAPIKey, fleetHosts: [url], fleetTLS: tls, connection: options,
                policyId: response.item.policyID, enrolledAt: response.item.enrolledAt, tags: response.item.tags
            )
            if let releaseKey = response.item.releaseKey {
                _ = try MinisignPublicKey(text: releaseKey, source: "The release key the Fleet Server at \(url) sent")
                state.releaseKey = releaseKey
            }
            if let issued = response.item.certificate, let keyPair {
                state.issuedCredential = try IssuedCredential(issued, keyPair: keyPair, agentId: response.item.id)
            }
            return state
        case 401:
            throw FlotillaError("The Fleet Server at \(url) refused the enrollment token: \(answer.message)", hint: "check --enrollment-token, or make a new one with flotilla server tokens create")
        case 429:
            throw FlotillaError("The Fleet Server at \(url) is enrolling too many agents at once", hint: "retry in \(answer.headers["retry-after"] ?? "a few") seconds")
        default:
            throw FlotillaError("The Fleet Server at \(url) refused the enrollment (\(answer.status)): \(answer.message)", hint: "look at the Fleet Server's log")
        }
    }
}
