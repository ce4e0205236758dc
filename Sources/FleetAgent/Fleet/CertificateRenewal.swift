import FleetProtocol
import FleetTLS
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Keeps the agent's issued client certificate fresh, beside the check-in loop and never in its way: once the
/// Fleet Server's `renew_after` has passed it makes a new key, sends a CSR over a connection of its own
/// (authenticated with the current certificate), and saves the answer; new connections present the new certificate
/// while open ones, a waiting long poll among them, carry on with the old one, which stays valid until it expires.
///
/// A failure is retried with backoff and reported (the check-in turns degraded with the reason and the days left);
/// it never stops the agent while the current certificate is valid. An agent whose certificate expired while it
/// was off asks with its API key alone, which its Fleet Server allows within a grace period.
public final class CertificateRenewal: Sendable {
    let vault: AgentVault
    let logger: Logger
    /// Why the last renewal failed, for the check-in's message; nil while all is well.
    let problem = NIOLockedValueBox<String?>(nil)
    /// How long to wait before asking a Fleet Server that issues no certificates again.
    static let quietRetry: Double = 3600
    /// Set by `renewNow()`: renew at once, whatever `renew_after` says.
    let forced = NIOLockedValueBox(false)

    public init(vault: AgentVault, logger: Logger) {
        self.vault = vault
        self.logger = logger
    }

    /// The reason renewal is failing, with the days the current certificate has left.
    public var failure: String? { problem.withLockedValue { $0 } }

    /// Renews at once (a CERTIFICATE_RENEW action; a Fleet Server that refused the current certificate).
    public func renewNow() {
        forced.withLockedValue { $0 = true }
    }

    /// Sleeps `seconds`, or less once `renewNow()` is called: it looks once a second, which costs an agent nothing
    /// and needs no stream whose cancellation would end every later wait.
    func pause(_ seconds: Double) async {
        let end = ContinuousClock.now + .seconds(seconds)
        while !Task.isCancelled, !forced.withLockedValue({ $0 }), ContinuousClock.now < end {
            try? await Task.sleep(for: min(.seconds(1), end - ContinuousClock.now))
        }
    }

    /// Renews whenever due, until cancelled.
    public func run() async {
        var backoff = Backoff(initial: 1, maximum: 600)
        while !Task.isCancelled {
            let loaded: AgentState
            do { loaded = try vault.loadEnrolled() } catch {
                // The state may be being replaced (a re-enrolment): look again later rather than stop for good.
                logger.warning("Certificate renewal cannot read the agent state: \(error.description)")
                await pause(60)
                continue
            }
            guard !loaded.unenrolled else { return }
            let state = loaded
            let wait: Double
            if forced.withLockedValue({ $0 }) {
                wait = 0
            } else if let credential = state.issuedCredential {
                // Re-read at least every minute: a re-enrolment or a renewal elsewhere changes what is due.
                wait = min(60, credential.renewAfter.timeIntervalSinceNow)
            } else {
                wait = 0
            }
            if wait > 0 {
                await pause(wait)
                continue
            }
            forced.withLockedValue { $0 = false }
            switch await renewOnce(state) {
            case .renewed:
                backoff.reset()
                // A certificate already due again (a CA that ends soon, a skewed clock) is not asked for in a loop.
                if let due = (try? vault.loadEnrolled())?.issuedCredential?.renewAfter, due < Date() {
                    await pause(backoff.next())
                }
            case .notIssuing:
                // A Fleet Server without an agent CA: nothing to do, ask again now and then.
                await pause(Self.quietRetry)
            case .failed:
                await pause(backoff.next())
            }
        }
    }

    enum Outcome { case renewed, notIssuing, failed }

    /// One renewal: a fresh key, a CSR, the answer saved in the encrypted state.
    func renewOnce(_ state: AgentState, now: Date = Date()) async -> Outcome {
        let keyPair = AgentKeyPair()
        let credential = state.issuedCredential
        do {
            let body = try JSONEncoder().encode(CertificateRequest(csr: try keyPair.csrPEM(commonName: state.agentId)))
            let path = FleetAPIPath.certificate(agentID: state.agentId), authorization = "ApiKey \(state.accessAPIKey)"
            var answer: FleetConnection.Answer? = nil
            var refusal: FlotillaError? = nil
            do {
                answer = try await state.fleetConnection(now: now).send("POST", path, body: body, authorization: authorization, timeout: 30)
            } catch {
                refusal = error
            }
            if let refusal {
                // The Fleet Server no longer trusts the issued certificate (its CA was retired while this agent was
                // away): ask with the API key alone, as an agent whose certificate expired does.
                guard credential?.isValid(at: now) == true, HandshakeDiagnosis.refusedOwnCertificate(refusal) else { throw refusal }
                logger.notice("Fleet Server refused the issued certificate; asking for a new one with the API key alone")
                answer = try await state.fleetConnection(now: now, issued: false).send("POST", path, body: body, authorization: authorization, timeout: 30)
            }
            guard let answer else { return .failed }
            if answer.status == 404 {
                // The Fleet Server issues no certificates (any more): present the installed certificate, or none,
                // rather than one it may no longer trust.
                if credential != nil {
                    try vault.update { current in current.issuedCredential = nil }
                    logger.notice("Fleet Server issues no certificates any more; the agent presents its installed certificate, if any")
                }
                return .notIssuing
            }
            guard answer.status == 200 else {
                throw FlotillaError("Fleet Server refused it (\(answer.status)): \(answer.message)")
            }
            guard let issued = try? JSONDecoder().decode(IssuedCertificate.self, from: answer.body) else {
                throw FlotillaError("Fleet Server answered the certificate renewal with something this agent cannot read")
            }
            let renewed = try IssuedCredential(issued, keyPair: keyPair, agentId: state.agentId)
            try vault.update { current in
                guard current.agentId == state.agentId else { return }
                current.issuedCredential = renewed
            }
            problem.withLockedValue { $0 = nil }
            logger.info("Renewed this agent's client certificate", metadata: [
                "not_after": "\(RFC3339.string(from: renewed.notAfter))", "renew_after": "\(RFC3339.string(from: renewed.renewAfter))",
            ])
            return .renewed
        } catch {
            let reason = Self.describe(error, credential: credential, now: now)
            problem.withLockedValue { $0 = reason }
            logger.warning("\(reason)")
            return .failed
        }
    }

    /// The sentence the agent logs and reports: what failed, and how long the current certificate still holds.
    static func describe(_ error: any Error, credential: IssuedCredential?, now: Date) -> String {
        let what = (error as? FlotillaError)?.message ?? "\(error)"
        guard let credential else { return "Could not get a client certificate: \(what)" }
        if credential.isValid(at: now) {
            let left = TimeLeft.phrase(until: credential.notAfter, now: now)
            return "Certificate renewal failed: \(what); the current certificate has \(left) (until \(RFC3339.string(from: credential.notAfter)))"
        }
        return "The client certificate expired at \(RFC3339.string(from: credential.notAfter)) and could not be renewed: \(what)"
    }
}
