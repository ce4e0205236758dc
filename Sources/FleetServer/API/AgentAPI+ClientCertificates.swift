import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import X509

extension AgentAPI {
    /// Whether requests after enrollment must carry a client certificate: with an agent CA, unless turned off.
    var requiresClientCertificate: Bool {
        authority != nil && configuration.agentCertificates?.requireAfterEnrollment == true
    }

    /// The agent whose API key the request carries, for the agent in its path, once its client certificate passed
    /// the rules: not revoked, bound to this agent if Flotilla issued it, and present where this server needs one.
    /// - Parameter certificateRequired: false on the renewal route, where an agent whose certificate expired may
    ///   still come (the grace rule decides).
    func authenticatedAgent(
        _ request: Request, context: FleetRequestContext, certificateRequired: Bool = true, agentInPath: Bool = true
    ) async throws -> AgentRecord {
        let pathId = agentInPath ? try agentId(context) : nil
        let agent = try await metrics.timeStore {
            if let pathId { try await AgentAuthentication.agent(request, pathId: pathId, store: store) }
            else { try await AgentAuthentication.agent(request, store: store) }
        }
        if let peer = context.peer, peer.fingerprint != nil {
            // A certificate passed by a reverse proxy never met the handshake's revocation check: check it here.
            if let reason = revocations.refusal(peer) {
                logger.warning("Refused a request of agent \(agent.id) from \(peer.address): \(reason)")
                throw APIError(.forbidden, "The client certificate was revoked; enroll this agent again")
            }
            if let bound = peer.agentId, bound != agent.id {
                logger.warning("Refused a request from \(peer.address): its client certificate belongs to agent \(bound), but its API key to agent \(agent.id)")
                throw APIError(.forbidden, "The client certificate belongs to agent \(bound), not to agent \(agent.id) whose API key was sent")
            }
        } else if certificateRequired, requiresClientCertificate {
            throw APIError(
                .forbidden,
                "This Fleet Server needs a client certificate after enrollment and agent \(agent.id) presented none: let the agent renew its certificate, or enroll it again"
            )
        }
        return agent
    }

    /// Signs a certificate for `agentId` from `csr` and records it in the store, so every Fleet Server can revoke it.
    /// Fails with 400 for a CSR that is not valid, before anything is written.
    func signCertificate(csr: String, for agentId: String) throws -> (certificate: Certificate, issuer: String, answer: IssuedCertificate) {
        guard let issuer = authority?.issuer else {
            throw APIError(.notFound, "This Fleet Server issues no agent certificates: it has no agent CA (agent_certificates, --agent-ca)")
        }
        let certificate: Certificate
        do { certificate = try issuer.issue(csrPEM: csr, agentId: agentId) } catch { throw APIError.badRequest(error.message) }
        let pem = ([certificate] + issuer.chain).map(\.pemText).joined()
        let answer = IssuedCertificate(
            certificate: pem, notAfter: RFC3339.string(from: certificate.notValidAfter),
            renewAfter: RFC3339.string(from: issuer.renewAfter(certificate))
        )
        return (certificate, issuer.authority.certificate.sha256Fingerprint, answer)
    }

    /// What the store keeps of a certificate this server signed, so every Fleet Server can revoke it.
    func issuedRecord(_ certificate: Certificate, by issuerFingerprint: String, for agentId: String) -> IssuedCertificateRecord {
        IssuedCertificateRecord(
            fingerprint: certificate.sha256Fingerprint, agentId: agentId, serial: certificate.serialNumber.description,
            subject: certificate.displayName, issuer: certificate.issuerDisplayName,
            issuerFingerprint: issuerFingerprint, notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter
        )
    }

    /// Whether an agent that presented no certificate may have one. An API key alone is not enough while the agent
    /// holds a certificate this server accepts: then it must renew over mutual TLS. It is enough when the agent's
    /// newest certificate expired less than the grace ago, when that certificate's CA is no longer trusted (a
    /// rotation retired it while the agent was away), or when it never had one (an agent enrolled before this
    /// server had an agent CA). Anything else is a 403 that says to enroll it again.
    func checkRenewalWithoutCertificate(_ agent: AgentRecord, now: Date = Date()) async throws {
        guard let newest = try await store.issuedCertificates(agentId: agent.id).first else {
            logger.notice("Issuing a first client certificate to agent \(agent.id) on its API key alone: it was enrolled without one")
            return
        }
        guard newest.revokedAt == nil else {
            throw APIError(.forbidden, "The certificates of agent \(agent.id) were revoked; enroll this agent again")
        }
        let trusted = authority?.trustedFingerprints ?? []
        if !newest.issuerFingerprint.isEmpty, !trusted.contains(newest.issuerFingerprint) { return }
        guard newest.notAfter <= now else {
            logger.warning("Refused to renew the certificate of agent \(agent.id) on its API key alone: its certificate is still valid")
            throw APIError(
                .forbidden,
                "Agent \(agent.id) holds a valid client certificate until \(RFC3339.string(from: newest.notAfter)): renew it over mutual TLS, presenting it"
            )
        }
        let grace = (try? configuration.agentCertificates?.graceSeconds()) ?? 0
        guard now <= newest.notAfter.addingTimeInterval(grace) else {
            let expired = RFC3339.string(from: newest.notAfter)
            logger.warning("Refused to renew the certificate of agent \(agent.id): it expired at \(expired), beyond the renewal grace of \(configuration.agentCertificates?.expiredRenewalGrace ?? "0s")")
            throw APIError(
                .forbidden,
                "The client certificate of agent \(agent.id) expired at \(expired), longer ago than this Fleet Server's renewal grace (agent_certificates.expired_renewal_grace); enroll this agent again"
            )
        }
    }
}
