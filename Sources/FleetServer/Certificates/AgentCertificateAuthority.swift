import FleetStore
import FleetTLS
import Foundation
import Logging
import X509

/// The CA a Fleet Server issues agents' certificates with and the CAs it trusts them from: the configured agent CA,
/// or wherever the store's agent CA rotation stands. Every Fleet Server on a store follows the same rotation.
final class AgentCertificateAuthority: Sendable {
    let settings: AgentCertificateSettings
    /// The CA of the configuration (`agent_certificates`, `--agent-ca`).
    let configured: AgentCertificateIssuer
    let state: LockedBox<(issuer: AgentCertificateIssuer, rotation: AgentCARotation?, trusted: Set<String>)>

    init(settings: AgentCertificateSettings) throws(FlotillaError) {
        self.settings = settings
        configured = try settings.issuer()
        state = LockedBox((configured, nil, Set(configured.trustedChain.map(\.sha256Fingerprint))))
    }

    /// Fingerprints of the CAs whose agent certificates are trusted now.
    var trustedFingerprints: Set<String> { state.withLock { $0.trusted } }

    /// The issuer in force now.
    var issuer: AgentCertificateIssuer { state.withLock { $0.issuer } }
    var rotation: AgentCARotation? { state.withLock { $0.rotation } }

    /// The CAs to trust client certificates from at start, before the store is read.
    var initialTrust: [Certificate] { configured.trustedChain }

    /// Follows `rotation`: which CA issues, which CAs are trusted (and which no longer), applied to `tls` for new
    /// connections. Nothing changes when the rotation's CA cannot be opened; the error says why.
    func apply(_ rotation: AgentCARotation?, to tls: TLSServerContext?) throws(FlotillaError) {
        var issuer = configured
        var trusted = configured.trustedChain
        var excluded: [Certificate] = []
        if let rotation {
            let next = try Self.certificate(rotation.nextCertificate, role: "new agent CA of the rotation")
            let previous = try Self.certificate(rotation.previousCertificate, role: "old agent CA of the rotation")
            // The configured CA takes part only while it is the one being replaced: after an earlier rotation it was
            // retired, and the previous CA's key comes from the store like the next one's.
            let configuredIsPrevious = configured.trustedChain.first == previous
            if rotation.phase == .trustBoth, !configuredIsPrevious {
                guard let previousKey = rotation.previousKey else {
                    throw FlotillaError("The rotation's old agent CA is not this server's --agent-ca and its key is not in the store", hint: "start the Fleet Server with the agent CA the rotation replaces")
                }
                issuer = try storedIssuer(rotation.previousCertificate, key: previousKey, role: "old agent CA of the rotation")
            }
            if rotation.phase != .trustBoth {
                issuer = try storedIssuer(rotation.nextCertificate, key: rotation.nextKey, role: "new agent CA of the rotation")
            }
            switch rotation.phase {
            case .trustBoth, .issueNew:
                trusted = [previous, next] + (configuredIsPrevious ? configured.trustedChain.dropFirst().filter { $0 != next } : [])
            case .retireOld:
                trusted = [next]
                excluded = [previous]
            }
        }
        if case .failure(let error) = tls?.setIssuingAuthorities(trusted, excluding: excluded) { throw error }
        state.withLock { $0 = (issuer, rotation, Set(trusted.map(\.sha256Fingerprint))) }
    }

    /// A CA kept in the store's rotation, its key opened with this server's agent CA passphrase, signing with the
    /// configured lifetime.
    func storedIssuer(_ certificate: String, key: String, role: String) throws(FlotillaError) -> AgentCertificateIssuer {
        let identity = try TLSIdentity.load(
            certificate: certificate, key: key, passphrasePath: settings.keyPassphrasePath,
            role: "\(role) (its key is opened with --agent-ca-key-passphrase-path)", passphraseOption: "--agent-ca-key-passphrase-path"
        )
        return try AgentCertificateIssuer(identity: identity, validity: configured.validity, renewFraction: configured.renewFraction)
    }

    static func certificate(_ pem: String, role: String) throws(FlotillaError) -> Certificate {
        guard let certificate = try? Certificate(pemEncoded: pem) else {
            throw FlotillaError("The \(role) in the store is not a PEM certificate", hint: "roll the rotation back with flotilla server ca rotate rollback")
        }
        return certificate
    }

    /// Why the last rotation read could not be followed; nil when it was.
    let problem = LockedBox<String?>(nil)

    /// Reads the store's rotation and follows it when it changed. A store that does not answer changes nothing; one
    /// that answers "no rotation" rolls back to the configured CA. Called every few seconds, and before each
    /// certificate is signed, so one is never signed by a CA the store's rotation has moved past.
    func sync(_ store: any Store, tls: TLSServerContext?, logger: Logger) async {
        let read: AgentCARotation??
        do { read = .some(try await store.agentCARotation()) } catch { read = nil }
        guard let stored = read, stored != rotation || problem.withLock({ $0 }) != nil else { return }
        do {
            try apply(stored, to: tls)
            problem.withLock { $0 = nil }
            if let stored {
                logger.notice("Agent CA rotation: phase \(stored.phase.number), \(stored.phase.summary)")
            } else {
                logger.notice("Agent CA rotation rolled back: the configured agent CA alone is in force")
            }
        } catch {
            let before = problem.withLock { state in defer { state = error.message }; return state }
            if before != error.message { logger.error("Agent CA rotation not followed: \(error.description)") }
        }
    }

    /// Follows the store's rotation every `interval`, until cancelled.
    func follow(_ store: any Store, tls: TLSServerContext?, every interval: Duration = .seconds(2), logger: Logger) async {
        while !Task.isCancelled {
            await sync(store, tls: tls, logger: logger)
            try? await Task.sleep(for: interval)
        }
    }
}
