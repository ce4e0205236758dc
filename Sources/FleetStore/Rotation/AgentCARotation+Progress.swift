import FleetTLS
import Foundation
import X509

extension AgentCARotation {
    /// How far the fleet is: active agents on the new CA, on the old one, and those without a valid issued
    /// certificate (switched off past its end: they come back by the renewal grace, or must be enrolled again).
    public struct Progress: Sendable, Equatable, Codable {
        public var active = 0
        public var onNewCA = 0
        public var onOldCA = 0
        public var withoutValidCertificate = 0

        enum CodingKeys: String, CodingKey {
            case active, onNewCA = "on_new_ca", onOldCA = "on_old_ca", withoutValidCertificate = "without_valid_certificate"
        }
    }

    /// When the new CA ends.
    public var nextNotAfter: Date? { (try? Certificate(pemEncoded: nextCertificate))?.notValidAfter }

    /// Hex SHA-256 of the new CA certificate, as issued certificates record their issuer.
    public var nextFingerprint: String? {
        (try? Certificate(pemEncoded: nextCertificate))?.sha256Fingerprint
    }
}

extension Store {
    /// Counts the active agents of `rotation` by the CA of their newest valid issued certificate.
    public func progress(of rotation: AgentCARotation, now: Date = Date()) async throws -> AgentCARotation.Progress {
        let next = rotation.nextFingerprint
        var newest: [String: IssuedCertificateRecord] = [:]
        for record in try await issuedCertificates(agentId: nil) where record.revokedAt == nil && newest[record.agentId] == nil {
            newest[record.agentId] = record  // newest first
        }
        var progress = AgentCARotation.Progress()
        for agent in try await agents() where agent.unenrolledAt == nil && !agent.apiKeyRevoked {
            progress.active += 1
            guard let certificate = newest[agent.id], certificate.notAfter > now else {
                progress.withoutValidCertificate += 1
                continue
            }
            if certificate.issuerFingerprint == next { progress.onNewCA += 1 } else { progress.onOldCA += 1 }
        }
        return progress
    }
}
