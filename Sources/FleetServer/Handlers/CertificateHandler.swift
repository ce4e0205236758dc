import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension AgentAPI {
    /// `POST /api/fleet/agents/{id}/certificate` (Flotilla's addition): a new client certificate over the key in the
    /// CSR. Normally asked over mutual TLS with the current certificate; an agent whose certificate expired asks with
    /// its API key alone, which the grace rule allows or refuses.
    func renewCertificate(_ request: Request, context: FleetRequestContext) async throws -> Response {
        try await gate.admitted("certificate renewal") { try await issueRenewal(request, context: context) }
    }

    func issueRenewal(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context, certificateRequired: false)
        if let wait = enrollLimiter.take() { throw APIError.tooManyRequests(retryAfter: wait, "certificate renewal") }
        let body = try await request.decodeJSON(CertificateRequest.self, context: context)
        let presented = context.peer?.fingerprint != nil
        if !presented { try await checkRenewalWithoutCertificate(agent) }
        if let authority { await authority.sync(store, tls: peers.tls, logger: logger) }
        let (certificate, issuer, answer) = try signCertificate(csr: body.csr, for: agent.id)
        try await store.recordIssuedCertificate(issuedRecord(certificate, by: issuer, for: agent.id))
        let over = presented ? "over mutual TLS" : "over its API key alone (it presented no valid certificate)"
        logger.info("Renewed the client certificate of agent \(agent.id) \(over)", metadata: ["not_after": "\(answer.notAfter)"])
        return try .json(answer)
    }
}
