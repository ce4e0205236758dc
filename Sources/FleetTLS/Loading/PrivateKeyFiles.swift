import Crypto
import Foundation
import NIOSSL
import X509
import _CryptoExtras

/// A private key that was read, opened with its passphrase where it needed one, and parsed, in the two forms
/// the code needs: NIOSSL's for serving, swift-certificates' for comparing with a certificate and signing.
struct LoadedPrivateKey: @unchecked Sendable {  // NIOSSLPrivateKey is immutable after creation
    let nio: NIOSSLPrivateKey
    let key: Certificate.PrivateKey
    let source: PEMSource
    let wasEncrypted: Bool
}

/// Loads private keys and tells apart what NIOSSL reports as one `failedToLoadPrivateKey`:
/// a missing passphrase, a wrong one, a damaged file, and a key that does not match its certificate.
enum PrivateKeyFiles {
    static let keyLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]

    static func load(
        _ source: String,
        passphrasePath: String?,
        role: String,
        passphraseOption: String? = "key_passphrase_path"
    ) throws(FlotillaError) -> LoadedPrivateKey {
        let pem = try PEMSource.read(source, role: role)
        let labels = pem.blockLabels
        guard !labels.isEmpty else {
            throw FlotillaError("The \(role) \(pem.described) is not PEM (no -----BEGIN PRIVATE KEY----- line)", hint: "convert it to PEM, for example with openssl pkey -inform der -in FILE -out FILE.pem")
        }
        guard labels.contains(where: keyLabels.contains) else {
            throw FlotillaError("The \(role) \(pem.described) holds a \(labels[0]), not a private key", hint: "pass the key file here and the certificate with its own option")
        }
        let encrypted = labels.contains("ENCRYPTED PRIVATE KEY") || pem.text.contains("Proc-Type: 4,ENCRYPTED")
        let bytes = Array(pem.text.utf8)

        let nioKey: NIOSSLPrivateKey
        if encrypted {
            guard let passphrasePath else {
                // A link without a passphrase option takes only unencrypted keys.
                let hint = passphraseOption.map { "pass the file that holds its passphrase with \($0)" }
                    ?? "this link takes an unencrypted key: write one with openssl pkey -in KEY -out KEY.plain"
                throw FlotillaError("The \(role) \(pem.described) is encrypted and no passphrase file was given", hint: hint)
            }
            let passphrase = try PassphraseFile.read(passphrasePath, role: role, option: passphraseOption)
            guard let opened = passphrase.candidates.lazy.compactMap({ candidate in
                try? NIOSSLPrivateKey(bytes: bytes, format: .pem) { setter in setter(candidate) }
            }).first else {
                throw FlotillaError("The passphrase in \(passphrase.path) does not open the \(role) \(pem.described)", hint: "check that the file holds this key's passphrase")
            }
            nioKey = opened
        } else {
            guard let plain = try? NIOSSLPrivateKey(bytes: bytes, format: .pem) else {
                throw FlotillaError("The \(role) \(pem.described) holds a private key that cannot be read", hint: "the file is damaged or of an unsupported type; use an ECDSA or RSA key in PEM")
            }
            nioKey = plain
        }
        guard let der = try? nioKey.derBytes, let key = certificateKey(fromDER: der) else {
            throw FlotillaError("The \(role) \(pem.described) is of an unsupported type", hint: "use an ECDSA P-256/P-384 or RSA 2048+ key")
        }
        return LoadedPrivateKey(nio: nioKey, key: key, source: pem, wasEncrypted: encrypted)
    }

    /// Fails unless `key` is the private half of `certificate`'s public key.
    static func checkMatch(_ key: LoadedPrivateKey, certificate: Certificate, certificateOrigin: String, role: String) throws(FlotillaError) {
        guard key.key.publicKey == certificate.publicKey else {
            throw FlotillaError(
                "The \(role) key \(key.source.described) does not match the certificate \(certificateOrigin) (\(certificate.displayName))",
                hint: "pass the key that was made together with this certificate"
            )
        }
    }

    /// BoringSSL writes keys in their traditional DER form (SEC1 or PKCS#1); swift-crypto reads those and PKCS#8.
    static func certificateKey(fromDER der: [UInt8]) -> Certificate.PrivateKey? {
        if let key = try? P256.Signing.PrivateKey(derRepresentation: der) { return Certificate.PrivateKey(key) }
        if let key = try? P384.Signing.PrivateKey(derRepresentation: der) { return Certificate.PrivateKey(key) }
        if let key = try? P521.Signing.PrivateKey(derRepresentation: der) { return Certificate.PrivateKey(key) }
        if let key = try? _RSA.Signing.PrivateKey(derRepresentation: der) { return Certificate.PrivateKey(key) }
        return nil
    }
}
