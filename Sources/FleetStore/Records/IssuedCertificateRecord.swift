import Foundation

/// A client certificate a Fleet Server issued to an agent. Kept so every Fleet Server on the store refuses it once
/// revoked, and so the inventory can list it with its days left.
public struct IssuedCertificateRecord: Sendable, Equatable {
    /// Hex SHA-256 of the DER certificate, as handshakes see it.
    public var fingerprint: String
    public var agentId: String
    public var serial: String
    public var subject: String
    public var issuer: String
    /// Hex SHA-256 of the CA certificate that signed it: which CA an agent is on during a rotation.
    public var issuerFingerprint: String
    public var notBefore: Date
    public var notAfter: Date
    public var issuedAt: Date
    /// Set when the agent was revoked or unenrolled; the certificate is refused from then on.
    public var revokedAt: Date?

    public init(
        fingerprint: String, agentId: String, serial: String, subject: String, issuer: String, issuerFingerprint: String = "",
        notBefore: Date,
        notAfter: Date, issuedAt: Date = Date(), revokedAt: Date? = nil
    ) {
        self.fingerprint = fingerprint
        self.agentId = agentId
        self.serial = serial
        self.subject = subject
        self.issuer = issuer
        self.issuerFingerprint = issuerFingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuedAt = issuedAt
        self.revokedAt = revokedAt
    }
}
