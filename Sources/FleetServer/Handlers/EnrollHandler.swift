import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension AgentAPI {
    /// `POST /api/fleet/agents/enroll`: an enrollment token buys an agent record and a fresh access API key.
    func enroll(_ request: Request, context: FleetRequestContext) async throws -> Response {
        do {
            let response = try await gate.admitted("enrollment") { try await enrollAgent(request, context: context) }
            metrics.enrollment(.enrolled)
            return response
        } catch {
            metrics.enrollment(.init(failure: error))
            throw error
        }
    }

    func enrollAgent(_ request: Request, context: FleetRequestContext) async throws -> Response {
        if let wait = enrollLimiter.take() { throw APIError.tooManyRequests(retryAfter: wait, "enrollment") }
        let secret = try AgentAuthentication.credential(request)
        guard let token = try await store.enrollmentToken(secretHash: Secrets.hash(secret)) else {
            throw APIError.unauthorized("The enrollment token is not valid")
        }
        guard !token.revoked else { throw APIError.unauthorized("The enrollment token \(token.name) was revoked") }
        if let expiry = token.expiresAt, expiry < Date() { throw APIError.unauthorized("The enrollment token \(token.name) expired") }

        let body = try await request.decodeJSON(EnrollRequest.self, context: context)
        guard let type = EnrollmentType(rawValue: body.type) else {
            throw APIError.badRequest("The field type must be PERMANENT or EPHEMERAL, not \(body.type)")
        }
        let now = Date()
        let agentId = body.id.flatMap { $0.isEmpty ? nil : $0 } ?? Secrets.identifier()
        let replaceTokenHash = body.replaceToken.map(Secrets.hash)
        let alreadyEnrolled = APIError(
            .forbidden, "Agent \(agentId) is already enrolled; re-enrolling it needs its replace_token"
        )
        // Re-enrolling an id replaces that agent only with the replace token it was enrolled with.
        if let existing = try await store.agent(id: agentId),
           !EnrollmentRecord.replaceTokenMatches(stored: existing.replaceTokenHash, presented: replaceTokenHash) {
            throw alreadyEnrolled
        }
        // An agent that sends no CSR and presents no certificate could enroll here but never check in: say so now,
        // before a use of the token is spent.
        if body.csr == nil, requiresClientCertificate, context.peer?.fingerprint == nil {
            throw APIError.badRequest(
                "This Fleet Server needs a client certificate after enrollment and issues one only from a CSR sent with the enrollment: send a csr, present a client certificate, or set agent_certificates.require_after_enrollment to false"
            )
        }
        if body.csr != nil, let authority { await authority.sync(store, tls: peers.tls, logger: logger) }
        // The CSR is checked and signed before anything is written, so a bad one costs no use.
        let issued = try body.csr.flatMap { csr in authority == nil ? nil : try signCertificate(csr: csr, for: agentId) }

        let keyId = Secrets.identifier(), keySecret = Secrets.random()
        var local = body.metadata.local
        if local["elastic"]?["agent"] != nil { local["elastic"]?["agent"]?["id"] = .string(agentId) }
        let identity = context.peer
        let record = AgentRecord(
            id: agentId, policyId: token.policyId, type: type.rawValue, apiKeyId: keyId, apiKeyHash: Secrets.hash(keySecret),
            replaceTokenHash: replaceTokenHash, enrolledAt: now, tags: body.metadata.tags ?? [],
            localMetadata: String(decoding: (try? local.jsonData()) ?? Data("{}".utf8), as: UTF8.self),
            lastStatus: "enrolled", certificateSubject: identity?.subject, certificateFingerprint: identity?.fingerprint,
            certificateIssuer: identity?.issuer, certificateNotAfter: identity?.notAfter
        )
        // The token's use, the agent and its certificate are one transaction: the checks above were for clear
        // answers, this is the one that counts when enrollments race.
        let enrollment = EnrollmentRecord(
            tokenId: token.id, agent: record, presentedReplaceTokenHash: replaceTokenHash,
            certificate: issued.map { issuedRecord($0.certificate, by: $0.issuer, for: agentId) }, at: now
        )
        switch try await store.enroll(enrollment) {
        case .enrolled:
            break
        case .tokenRefused:
            throw APIError.unauthorized("The enrollment token \(token.name) has no uses left, expired or was revoked")
        case .agentExists:
            throw alreadyEnrolled
        }
        logger.info("Enrolled agent", metadata: [
            "agent": "\(agentId)", "policy": "\(token.policyId)", "client_certificate": "\(identity?.subject ?? "none")",
            "issued_certificate": "\(issued?.answer.notAfter ?? "none")",
        ])

        let item = EnrollResponseItem(
            id: agentId, policyID: token.policyId, type: type.rawValue, enrolledAt: RFC3339.string(from: now),
            localMetadata: local, accessAPIKeyID: keyId,
            accessAPIKey: Data("\(keyId):\(keySecret)".utf8).base64EncodedString(), tags: record.tags,
            certificate: issued?.answer, releaseKey: try await store.releaseKey()?.publicKey
        )
        return try .json(EnrollResponse(item: item))
    }
}
