import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The key types `flotilla certs` makes. ECDSA P-256 is the default: BoringSSL signs with it several times faster
/// than with RSA, which matters for a Fleet Server's handshake rate.
public enum KeyAlgorithm: String, CaseIterable, Sendable {
    case ecdsaP256 = "ecdsa-p256"
    case rsa2048 = "rsa-2048"
    case rsa4096 = "rsa-4096"
}

/// What a leaf certificate is for; it sets the extended key usage a peer checks.
public enum CertificatePurpose: String, CaseIterable, Sendable {
    case server
    case client

    var extendedKeyUsage: ExtendedKeyUsage.Usage {
        self == .server ? .serverAuth : .clientAuth
    }
}

/// A freshly made private key, kept in its concrete type so it can be written as PKCS#8.
public struct GeneratedKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }
    let backing: Backing

    public init(_ algorithm: KeyAlgorithm) throws {
        switch algorithm {
        case .ecdsaP256: backing = .p256(P256.Signing.PrivateKey())
        case .rsa2048: backing = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .rsa4096: backing = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits4096))
        }
    }

    public var certificateKey: Certificate.PrivateKey {
        switch backing {
        case .p256(let key): Certificate.PrivateKey(key)
        case .rsa(let key): Certificate.PrivateKey(key)
        }
    }

    var pkcs8DER: [UInt8] {
        switch backing {
        case .p256(let key): Array(key.pkcs8DERRepresentation)
        case .rsa(let key): Array(key.pkcs8DERRepresentation)
        }
    }

    /// PEM PKCS#8, encrypted with PBES2/AES-256-CBC when a passphrase is given.
    public func pem(passphrase: [UInt8]? = nil) throws -> String {
        if let passphrase {
            return try EncryptedPrivateKey.pem(pkcs8DER: pkcs8DER, passphrase: passphrase)
        }
        return PEMDocument(type: "PRIVATE KEY", derBytes: pkcs8DER).pemString + "\n"
    }
}

/// A CA able to sign: its certificate and private key.
public struct SigningAuthority: Sendable {
    public let certificate: Certificate
    public let key: Certificate.PrivateKey

    public init(certificate: Certificate, key: Certificate.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }
}

/// Makes CAs and the certificates they sign, with the extensions TLS peers and `openssl verify` expect.
public enum PKI {
    /// Certificates start a few minutes in the past so a peer whose clock lags a little still accepts them.
    static let backdate: TimeInterval = 300

    /// A root CA, or an intermediate one when `parent` signs it.
    public static func makeCA(
        commonName: String,
        validityDays: Int,
        algorithm: KeyAlgorithm = .ecdsaP256,
        signedBy parent: SigningAuthority? = nil,
        now: Date = Date()
    ) throws -> (certificate: Certificate, key: GeneratedKey) {
        let key = try GeneratedKey(algorithm)
        let publicKey = key.certificateKey.publicKey
        let name = try DistinguishedName {
            OrganizationName("Flotilla")
            CommonName(commonName)
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - backdate,
            notValidAfter: now + TimeInterval(validityDays) * 86_400,
            issuer: parent?.certificate.subject ?? name,
            subject: name,
            signatureAlgorithm: signatureAlgorithm(for: parent?.key ?? key.certificateKey),
            extensions: extensions,
            issuerPrivateKey: parent?.key ?? key.certificateKey
        )
        return (certificate, key)
    }

    /// A server or client certificate signed by `authority`. Its validity never outlasts the CA's.
    public static func issue(
        commonName: String,
        purpose: CertificatePurpose,
        dnsNames: [String],
        ipAddresses: [String],
        validityDays: Int,
        algorithm: KeyAlgorithm = .ecdsaP256,
        by authority: SigningAuthority,
        now: Date = Date()
    ) throws -> (certificate: Certificate, key: GeneratedKey) {
        let key = try GeneratedKey(algorithm)
        let publicKey = key.certificateKey.publicKey
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            guard let bytes = IPAddressText.parse(address) else {
                throw FlotillaError("\(address) is not an IP address", hint: "give host names with --dns and addresses with --ip")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        let isRSA = algorithm != .ecdsaP256
        let authorityKeyID = try? authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            // RSA key exchange under TLS 1.2 needs keyEncipherment on a server's RSA certificate.
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: isRSA && purpose == .server))
            try ExtendedKeyUsage([purpose.extendedKeyUsage])
            SubjectKeyIdentifier(hash: publicKey)
            if let authorityKeyID {
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
            }
            if !names.isEmpty {
                SubjectAlternativeNames(names)
            }
        }
        let subject = try DistinguishedName {
            OrganizationName("Flotilla")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - backdate,
            notValidAfter: min(now + TimeInterval(validityDays) * 86_400, authority.certificate.notValidAfter),
            issuer: authority.certificate.subject,
            subject: subject,
            signatureAlgorithm: signatureAlgorithm(for: authority.key),
            extensions: extensions,
            issuerPrivateKey: authority.key
        )
        return (certificate, key)
    }

    static func signatureAlgorithm(for key: Certificate.PrivateKey) -> Certificate.SignatureAlgorithm {
        key.supportedSignatureAlgorithms.contains(.ecdsaWithSHA256) ? .ecdsaWithSHA256 : .sha256WithRSAEncryption
    }
}
