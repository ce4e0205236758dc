import FleetStore
import FleetTLS
import Foundation
import Logging

/// The revoked client certificates every Fleet Server on a store refuses: read from the store at start and again
/// whenever it announces a revocation, and held in memory so a handshake costs one set lookup.
final class RevocationList: Sendable {
    let revoked = LockedBox<Set<String>>([])

    /// Why `identity`'s certificate may not be used, or nil.
    func refusal(_ identity: PeerIdentity) -> String? {
        guard let fingerprint = identity.fingerprint, revoked.withLock({ $0.contains(fingerprint) }) else { return nil }
        return "the certificate was revoked (its agent \(identity.agentId ?? "") was revoked or unenrolled)"
    }

    /// Reads the list again; a store that does not answer leaves the list as it was.
    func refresh(from store: any Store, logger: Logger) async {
        do {
            let fingerprints = try await store.revokedCertificateFingerprints(now: Date())
            revoked.withLock { $0 = fingerprints }
        } catch {
            logger.warning("Could not read the revoked certificates from the store \(store.description); the last list stays in force (\(error))")
        }
    }
}
