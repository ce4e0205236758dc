import FleetProtocol
import FleetAgent
import FleetServer
import FleetTLS
import Foundation

/// What `flotilla status` shows: never the API key.
struct AgentStatusReport: Encodable {
    var agentId: String
    var state: String
    var fleetHosts: [String]
    var policyId: String
    var policyRevision: Int
    var tags: [String]
    var tlsVerification: String
    var clientCertificate: String?
    var clientCertificateDaysLeft: Int?
    /// The certificate its Fleet Server issued it, presented in place of `clientCertificate` while valid.
    var issuedCertificate: IssuedCertificateReport?
    /// The Fleet Server this agent runs, if it runs one.
    var fleetServer: LocalFleetServerReport?

    struct IssuedCertificateReport: Encodable {
        var subject: String
        var issuer: String
        var fingerprint: String
        var notAfter: String
        var renewAfter: String
        var daysLeft: Int
        var left: String
        var valid: Bool

        enum CodingKeys: String, CodingKey {
            case subject, issuer, fingerprint, notAfter = "not_after", renewAfter = "renew_after", daysLeft = "days_left", left, valid
        }
    }

    struct LocalFleetServerReport: Encodable {
        var listen: String
        var store: String
        var policyId: String
        var clientAuth: String
        var certificate: String?
        var certificateDaysLeft: Int?
        /// The CA it issues agents' certificates with, if any.
        var agentCA: String?
        var agentCADaysLeft: Int?
        /// How many agents the open-files limit leaves room for: the Fleet Server raises its soft limit to the hard
        /// one at start, and this process, under the same limits, reads what that gives.
        var agentCapacity: Int?

        enum CodingKeys: String, CodingKey {
            case listen, store, policyId = "policy_id", clientAuth = "client_auth", certificate, certificateDaysLeft = "certificate_days_left"
            case agentCA = "agent_ca", agentCADaysLeft = "agent_ca_days_left", agentCapacity = "agent_capacity"
        }
    }

    init(_ agent: AgentState) {
        agentId = agent.agentId
        state = agent.unenrolled ? "unenrolled" : "enrolled"
        fleetHosts = agent.fleetHosts
        policyId = agent.policyId
        policyRevision = agent.policyRevision
        tags = agent.tags
        tlsVerification = agent.fleetTLS.verificationMode.rawValue
        if let path = agent.fleetTLS.certificate, let certificate = try? CertificateCheck.leaf(path) {
            clientCertificate = certificate.displayName
            clientCertificateDaysLeft = certificate.daysLeft()
        }
        if let issued = agent.issuedCredential {
            issuedCertificate = IssuedCertificateReport(
                subject: issued.subject, issuer: issued.issuer, fingerprint: issued.fingerprint,
                notAfter: RFC3339.string(from: issued.notAfter), renewAfter: RFC3339.string(from: issued.renewAfter),
                daysLeft: issued.daysLeft(), left: TimeLeft.phrase(until: issued.notAfter), valid: issued.isValid()
            )
        }
        if let server = try? agent.localFleetServer {
            let certificate = server.tls.certificate.flatMap { try? CertificateCheck.leaf($0) }
            let agentCA = server.agentCertificates.flatMap { try? CertificateCheck.leaf($0.certificate) }
            fleetServer = LocalFleetServerReport(
                listen: "\(server.host):\(server.port)", store: server.storePath, policyId: server.policyId ?? agent.policyId,
                clientAuth: server.tls.clientAuth.rawValue, certificate: certificate?.displayName, certificateDaysLeft: certificate?.daysLeft(),
                agentCA: agentCA?.displayName, agentCADaysLeft: agentCA?.daysLeft(),
                agentCapacity: OpenFilesLimit.raise()?.agentCapacity
            )
        }
    }

    var text: String {
        """
        Agent \(agentId): \(state)
          Fleet Server:    \(fleetHosts.joined(separator: ", "))
          policy:          \(policyId), revision \(policyRevision)
          TLS:             verification \(tlsVerification), \(tlsText)
          tags:            \(tags.isEmpty ? "-" : tags.joined(separator: ", "))
        """ + (fleetServer.map { server in
            """

              runs Fleet Server: listening on \(server.listen), store \(server.store), client auth \(server.clientAuth), certificate \(server.certificate ?? "-") (\(server.certificateDaysLeft ?? 0) days left)\(server.agentCA.map { ", issues agents' certificates with \($0) (\(server.agentCADaysLeft ?? 0) days left)" } ?? "")\(server.agentCapacity.map { ", room for about \($0.formatted(.number.grouping(.automatic))) agents (open files)" } ?? "")
            """
        } ?? "")
    }

    /// How the agent authenticates to Fleet Server, in words.
    var tlsText: String {
        if let issued = issuedCertificate, issued.valid {
            return """
                mutual, issued certificate \(issued.subject) from \(issued.issuer) (\(issued.left), renews after \(issued.renewAfter))
                                   fingerprint \(issued.fingerprint)
                """
        }
        let installed = clientCertificate.map { "mutual, client certificate \($0) (\(clientCertificateDaysLeft ?? 0) days left)" } ?? "one-way (no client certificate)"
        guard let issued = issuedCertificate else { return installed }
        return installed + "; the issued certificate expired at \(issued.notAfter) and is renewed at the next check"
    }

    enum CodingKeys: String, CodingKey {
        case issuedCertificate = "issued_certificate"
        case agentId = "agent_id", state, fleetHosts = "fleet_hosts", policyId = "policy_id", policyRevision = "policy_revision"
        case tags, tlsVerification = "tls_verification", clientCertificate = "client_certificate", clientCertificateDaysLeft = "client_certificate_days_left", fleetServer = "fleet_server"
    }
}
