/// A client certificate a Fleet Server issued to an agent from its CSR, at enrollment or on renewal (Flotilla's
/// addition to the contract).
public struct IssuedCertificate: Sendable, Codable, Equatable {
    /// The certificate, then the CA chain up to but not including a self-signed root, in PEM.
    public var certificate: String
    /// RFC 3339: the certificate's end.
    public var notAfter: String
    /// RFC 3339: when the agent should ask for the next one.
    public var renewAfter: String

    public init(certificate: String, notAfter: String, renewAfter: String) {
        self.certificate = certificate
        self.notAfter = notAfter
        self.renewAfter = renewAfter
    }

    enum CodingKeys: String, CodingKey {
        case certificate
        case notAfter = "not_after"
        case renewAfter = "renew_after"
    }
}

/// Body of `POST /api/fleet/agents/{id}/certificate`: a CSR over a fresh key. The answer is an `IssuedCertificate`.
public struct CertificateRequest: Sendable, Codable, Equatable {
    public var csr: String

    public init(csr: String) {
        self.csr = csr
    }
}
