/// Where one link's TLS files were given: the flags or configuration fields that every loading error names beside
/// the file, so that "the CA file ... does not exist" says which option to fix.
public struct TLSFieldNames: Sendable, Equatable {
    public var certificateAuthorities: String
    public var certificate: String
    public var key: String
    public var keyPassphrase: String

    public init(certificateAuthorities: String, certificate: String, key: String, keyPassphrase: String) {
        self.certificateAuthorities = certificateAuthorities
        self.certificate = certificate
        self.key = key
        self.keyPassphrase = keyPassphrase
    }

    /// The fields of a policy or configuration's `ssl` block under `prefix` ("fleet.ssl", "outputs.default.ssl").
    public init(prefix: String) {
        let dotted = prefix.isEmpty ? "" : "\(prefix)."
        self.init(
            certificateAuthorities: "\(dotted)certificate_authorities", certificate: "\(dotted)certificate",
            key: "\(dotted)key", keyPassphrase: "\(dotted)key_passphrase_path"
        )
    }

    /// The agent's flags for its link to Fleet Server (`install`, `enroll`).
    public static let agent = TLSFieldNames(
        certificateAuthorities: "--certificate-authorities", certificate: "--elastic-agent-cert",
        key: "--elastic-agent-cert-key", keyPassphrase: "--elastic-agent-cert-key-passphrase"
    )

    /// A Fleet Server's flags for its own listener.
    public static let fleetServer = TLSFieldNames(
        certificateAuthorities: "--certificate-authorities", certificate: "--fleet-server-cert",
        key: "--fleet-server-cert-key", keyPassphrase: "--fleet-server-cert-key-passphrase"
    )

    /// A Fleet Server's flags for its link to the store.
    public static let store = TLSFieldNames(
        certificateAuthorities: "--fleet-server-es-ca", certificate: "--fleet-server-es-cert",
        key: "--fleet-server-es-cert-key", keyPassphrase: "--fleet-server-es-cert-key-passphrase"
    )

    /// The certificate and key fields together, for hints.
    var certificateAndKey: String { "\(certificate), \(key)" }
}
