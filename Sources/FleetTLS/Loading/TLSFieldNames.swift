/// Where one link's TLS files were given: the flags or configuration fields that every loading error names beside
/// the file, so that "the CA file ... does not exist" says which option to fix.
public struct TLSFieldNames: Sendable, Equatable {
    /// Where the CAs that check the peer are given.
    public var certificateAuthorities: String
    /// Where this side's certificate is given.
    public var certificate: String
    /// Where its key is given.
    public var key: String
    /// Where the passphrase file of an encrypted key is given; nil for a link that takes unencrypted keys only.
    public var keyPassphrase: String?

    /// - Parameters: the flag or field of each setting, as a user would type it.
    public init(certificateAuthorities: String, certificate: String, key: String, keyPassphrase: String?) {
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

    /// A Fleet Server's flags for its link to the store (which takes unencrypted keys only).
    public static let store = TLSFieldNames(
        certificateAuthorities: "--fleet-server-es-ca", certificate: "--fleet-server-es-cert",
        key: "--fleet-server-es-cert-key", keyPassphrase: nil
    )

    /// The certificate and key fields together, for hints.
    var certificateAndKey: String { "\(certificate), \(key)" }
}
