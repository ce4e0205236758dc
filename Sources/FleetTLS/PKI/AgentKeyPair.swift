import Crypto
import Foundation
import X509

/// An agent's own key and the CSR that asks its Fleet Server for a certificate over it. The key is made on the
/// agent's host and stays there (in its encrypted state); only the CSR travels.
public struct AgentKeyPair: Sendable {
    let key: P256.Signing.PrivateKey

    /// A fresh ECDSA P-256 key.
    public init() {
        key = P256.Signing.PrivateKey()
    }

    /// The public half, as a certificate holds it.
    public var publicKey: Certificate.PublicKey {
        Certificate.PublicKey(key.publicKey)
    }

    /// The key as unencrypted PKCS#8 PEM, for the agent's encrypted state only.
    public var privateKeyPEM: String {
        key.pemRepresentation + "\n"
    }

    /// A PKCS#10 request over this key, signed with it; `commonName` is a hint the Fleet Server replaces.
    public func csrPEM(commonName: String) throws(FlotillaError) -> String {
        do {
            let subject = try DistinguishedName { CommonName(commonName) }
            let request = try CertificateSigningRequest(
                version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key),
                attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256
            )
            return try request.serializeAsPEM().pemString + "\n"
        } catch {
            throw FlotillaError("Could not make a certificate signing request (\(error))", hint: "report this as a bug")
        }
    }
}
