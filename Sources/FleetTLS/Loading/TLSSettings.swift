/// The TLS side of one link (agent → Fleet Server, Fleet Server → store, agent → output, or a listener),
/// with the field names the policy, the YAML configuration and the console use.
///
/// Certificates, keys and CAs are each either a path or inline PEM. Nothing here is loaded or checked:
/// `TLSServerIdentity`, `TLSClientContext` and `TLSServerContext` do that, and fail with a `FlotillaError`.
public struct TLSSettings: Codable, Equatable, Sendable {
    /// How a client checks the certificate its server presents.
    public enum VerificationMode: String, Codable, Sendable, CaseIterable {
        /// Chain to a trusted CA, in date, and the host name in the certificate.
        case full
        /// Chain to a trusted CA and in date; any host name.
        case certificate
        /// No check at all (a warning is logged by whoever uses it).
        case none
    }

    /// Whether a server asks its clients for a certificate.
    public enum ClientAuth: String, Codable, Sendable, CaseIterable {
        case none
        /// Asked for; checked when presented; anonymous clients are accepted.
        case optional
        /// Refused at the handshake without a certificate from a trusted CA.
        case required
    }

    public enum ProtocolVersion: String, Codable, Sendable, CaseIterable, Comparable {
        case tls12 = "TLSv1.2"
        case tls13 = "TLSv1.3"

        public static func < (lhs: Self, rhs: Self) -> Bool {
            lhs == .tls12 && rhs == .tls13
        }
    }

    /// CAs that sign the peer's certificate: paths or inline PEM, several allowed.
    /// For a client, empty means the system's trust store; for a server, the CAs of client certificates.
    public var certificateAuthorities: [String]
    /// This side's certificate (the server's, or the client's under mutual TLS): a path or inline PEM.
    public var certificate: String?
    /// The key of `certificate`: a path or inline PEM, possibly encrypted.
    public var key: String?
    /// A file holding the passphrase of an encrypted `key`.
    public var keyPassphrasePath: String?
    public var verificationMode: VerificationMode
    public var clientAuth: ClientAuth
    /// Base64 SHA-256 pins of a certificate's SubjectPublicKeyInfo: one certificate of the peer's chain must match.
    public var caSha256: [String]
    /// Hex SHA-256 of a CA certificate in the peer's chain, trusted even when it is not among the CAs.
    public var caTrustedFingerprint: String?
    public var supportedProtocols: [ProtocolVersion]
    /// OpenSSL cipher-suite names for TLS 1.2; empty means NIOSSL's secure defaults.
    public var cipherSuites: [String]

    public init(
        certificateAuthorities: [String] = [],
        certificate: String? = nil,
        key: String? = nil,
        keyPassphrasePath: String? = nil,
        verificationMode: VerificationMode = .full,
        clientAuth: ClientAuth = .none,
        caSha256: [String] = [],
        caTrustedFingerprint: String? = nil,
        supportedProtocols: [ProtocolVersion] = [.tls12, .tls13],
        cipherSuites: [String] = []
    ) {
        self.certificateAuthorities = certificateAuthorities
        self.certificate = certificate
        self.key = key
        self.keyPassphrasePath = keyPassphrasePath
        self.verificationMode = verificationMode
        self.clientAuth = clientAuth
        self.caSha256 = caSha256
        self.caTrustedFingerprint = caTrustedFingerprint
        self.supportedProtocols = supportedProtocols
        self.cipherSuites = cipherSuites
    }

    enum CodingKeys: String, CodingKey {
        case certificateAuthorities = "certificate_authorities"
        case certificate
        case key
        case keyPassphrasePath = "key_passphrase_path"
        case verificationMode = "verification_mode"
        case clientAuth = "client_auth"
        case caSha256 = "ca_sha256"
        case caTrustedFingerprint = "ca_trusted_fingerprint"
        case supportedProtocols = "supported_protocols"
        case cipherSuites = "cipher_suites"
    }

    /// Every field is optional in YAML and JSON; a missing one takes its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TLSSettings()
        certificateAuthorities = try c.decodeIfPresent([String].self, forKey: .certificateAuthorities) ?? []
        certificate = try c.decodeIfPresent(String.self, forKey: .certificate)
        key = try c.decodeIfPresent(String.self, forKey: .key)
        keyPassphrasePath = try c.decodeIfPresent(String.self, forKey: .keyPassphrasePath)
        verificationMode = try c.decodeIfPresent(VerificationMode.self, forKey: .verificationMode) ?? defaults.verificationMode
        clientAuth = try c.decodeIfPresent(ClientAuth.self, forKey: .clientAuth) ?? defaults.clientAuth
        caSha256 = try c.decodeIfPresent([String].self, forKey: .caSha256) ?? []
        caTrustedFingerprint = try c.decodeIfPresent(String.self, forKey: .caTrustedFingerprint)
        supportedProtocols = try c.decodeIfPresent([ProtocolVersion].self, forKey: .supportedProtocols) ?? defaults.supportedProtocols
        cipherSuites = try c.decodeIfPresent([String].self, forKey: .cipherSuites) ?? []
    }
}
