import NIOSSL
import X509

/// This side's certificate chain and key, loaded and checked together: in date, readable, opened with its
/// passphrase, and matching. What a server presents, or a client under mutual TLS.
public struct TLSIdentity: @unchecked Sendable {  // NIOSSL certificates and keys are immutable
    public let chain: [Certificate]
    let nioChain: [NIOSSLCertificate]
    let key: LoadedPrivateKey
    /// The certificate's file, or "inline PEM".
    public let certificateOrigin: String

    public var certificate: Certificate { chain[0] }

    /// - Parameters:
    ///   - role: what the identity is for, as a person says it ("Fleet Server certificate").
    ///   - keyRole: what the key is, when not "<role> key" (one that names its own flag).
    ///   - passphraseOption: where the passphrase file is given, for the hint when it is missing.
    public static func load(
        certificate: String,
        key: String,
        passphrasePath: String?,
        role: String,
        keyRole: String? = nil,
        passphraseOption: String? = "key_passphrase_path"
    ) throws(FlotillaError) -> TLSIdentity {
        let chain = try CertificateFiles.loadChain(certificate, role: role)
        let origin = (try? PEMSource.read(certificate, role: role).described) ?? certificate
        let loadedKey = try PrivateKeyFiles.load(
            key, passphrasePath: passphrasePath, role: keyRole ?? "\(role) key", passphraseOption: passphraseOption
        )
        try PrivateKeyFiles.checkMatch(loadedKey, certificate: chain[0], certificateOrigin: origin, role: role)
        let nioChain: [NIOSSLCertificate]
        do {
            nioChain = try chain.map { try NIOSSLCertificate(bytes: $0.derBytes, format: .der) }
        } catch {
            throw FlotillaError("The \(role) \(origin) cannot be used by the TLS library", hint: "issue it again")
        }
        return TLSIdentity(chain: chain, nioChain: nioChain, key: loadedKey, certificateOrigin: origin)
    }

    /// Loads `settings.certificate` and `settings.key`, or nil when neither is set; one without the other is an error.
    /// Every error names the file and the flag or field in `fields` it was given with.
    static func load(from settings: TLSSettings, role: String, fields: TLSFieldNames) throws(FlotillaError) -> TLSIdentity? {
        switch (settings.certificate, settings.key) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            return try load(
                certificate: certificate, key: key, passphrasePath: settings.keyPassphrasePath,
                role: "\(role) (\(fields.certificate))", keyRole: "\(role) key (\(fields.key))",
                passphraseOption: fields.keyPassphrase
            )
        case (_?, nil):
            throw FlotillaError("The \(role) is given without its key", hint: "set \(fields.key) (the certificate's private key) as well")
        case (nil, _?):
            throw FlotillaError("The \(role) key is given without its certificate", hint: "set \(fields.certificate) as well")
        }
    }

    func apply(to configuration: inout TLSConfiguration) {
        configuration.certificateChain = nioChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key.nio)
    }
}

extension TLSSettings {
    /// Protocol versions, cipher suites: what both server and client configurations share.
    func applyProtocols(to configuration: inout TLSConfiguration, role: String) throws(FlotillaError) {
        let versions = supportedProtocols.isEmpty ? [.tls12, .tls13] : supportedProtocols
        configuration.minimumTLSVersion = versions.min() == .tls13 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = versions.max() == .tls12 ? .tlsv12 : .tlsv13
        if !cipherSuites.isEmpty {
            configuration.cipherSuites = cipherSuites.joined(separator: ":")
        }
    }

    /// Builds the NIOSSL context now, so that whatever BoringSSL refuses fails at start-up, not at the first handshake.
    static func makeContext(_ configuration: TLSConfiguration, role: String) throws(FlotillaError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw FlotillaError("The TLS settings of the \(role) are refused by the TLS library (\(error))", hint: "check cipher_suites and supported_protocols")
        }
    }
}

extension TLSIdentity {
    /// This identity used as a CA to sign others.
    public var signingAuthority: SigningAuthority {
        SigningAuthority(certificate: certificate, key: key.key)
    }
}
