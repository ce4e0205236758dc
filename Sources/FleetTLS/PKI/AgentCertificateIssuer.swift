import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Signs agents' client certificates from their own CSRs with a Fleet Server's agent CA, so no private key ever
/// leaves an agent's host and no operator copies keys around.
///
/// Each certificate is bound to one agent: its id is in a URI SAN (`urn:flotilla:agent:<id>`) and the common name,
/// its only extended key usage is client authentication, and it never outlives the CA.
public struct AgentCertificateIssuer: Sendable {
    /// The agent CA: its certificate (and the intermediates above it) and key.
    public let authority: SigningAuthority
    /// What the agent gets after its own certificate: the CA and any intermediates, not a self-signed root.
    public let chain: [Certificate]
    /// The agent CA and what its file holds above it: what a Fleet Server trusts agents' certificates with.
    public let trustedChain: [Certificate]
    /// How long an issued certificate is valid.
    public let validity: TimeInterval
    /// The share of a certificate's life after which the agent renews it.
    public let renewFraction: Double

    /// - Parameters:
    ///   - identity: the agent CA, loaded with its key (an intermediate's file may hold the chain above it).
    ///   - validity: the lifetime of each certificate, in seconds.
    ///   - renewFraction: when an agent renews, as a share of that lifetime (two thirds by default).
    public init(identity: TLSIdentity, validity: TimeInterval, renewFraction: Double = 2.0 / 3.0) throws(FlotillaError) {
        guard identity.certificate.isCertificateAuthority else {
            throw FlotillaError(
                "The agent CA \(identity.certificateOrigin) is not a CA certificate, so it cannot sign agents' certificates",
                hint: "give a CA made with flotilla certs ca (or the agent-ca of flotilla certs init)"
            )
        }
        guard validity >= 1 else {
            throw FlotillaError("The agent certificate validity must be at least one second", hint: "set agent_certificates.validity, like 720h")
        }
        guard renewFraction > 0, renewFraction < 1 else {
            throw FlotillaError("agent_certificates.renew_after must be a share of the lifetime between 0 and 1, not \(renewFraction)", hint: "use 0.67 to renew after two thirds")
        }
        authority = identity.signingAuthority
        chain = identity.chain.filter { !$0.isSelfIssued }
        trustedChain = identity.chain
        self.validity = validity
        self.renewFraction = renewFraction
    }

    /// The URI SAN that names an agent in the certificates issued to it.
    public static func agentURI(_ agentId: String) -> String { "urn:flotilla:agent:\(agentId)" }

    /// A certificate for `agentId` over the key in `csrPEM`, after checking the CSR's signature (proof that the
    /// agent holds the key) and that the key is one TLS peers accept.
    public func issue(csrPEM: String, agentId: String, now: Date = Date()) throws(FlotillaError) -> Certificate {
        let request: CertificateSigningRequest
        do { request = try CertificateSigningRequest(pemEncoded: csrPEM) } catch {
            guard csrPEM.contains("-----BEGIN CERTIFICATE REQUEST-----") else {
                throw FlotillaError("The field csr holds no PEM certificate signing request", hint: "send a PKCS#10 CSR in PEM (BEGIN CERTIFICATE REQUEST)")
            }
            // swift-certificates refuses weak keys (RSA under 2048 bits) while parsing.
            throw FlotillaError("The certificate signing request in the field csr cannot be read: its key is of a type or size this server refuses, such as RSA under 2048 bits", hint: "make an ECDSA P-256 key")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw FlotillaError("The CSR's signature does not match its public key", hint: "sign the CSR with the private key it names")
        }
        try Self.checkKey(request.publicKey)
        let publicKey = request.publicKey
        let authorityKeyID = try? authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyID {
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                }
                SubjectAlternativeNames([.uniformResourceIdentifier(Self.agentURI(agentId))])
            }
            let subject = try DistinguishedName {
                OrganizationName("Flotilla")
                OrganizationalUnitName("agents")
                CommonName(agentId)
            }
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                // A little in the past, so an agent whose clock lags still accepts it; never past the CA's end.
                notValidBefore: now - min(PKI.backdate, validity / 10),
                notValidAfter: min(now + validity, authority.certificate.notValidAfter),
                issuer: authority.certificate.subject,
                subject: subject,
                signatureAlgorithm: PKI.signatureAlgorithm(for: authority.key),
                extensions: extensions,
                issuerPrivateKey: authority.key
            )
        } catch {
            throw FlotillaError("The agent CA could not sign a certificate (\(error))", hint: "check the agent CA's key")
        }
    }

    /// When an agent should renew `certificate`: after `renewFraction` of its life.
    public func renewAfter(_ certificate: Certificate) -> Date {
        let life = certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore)
        return certificate.notValidBefore.addingTimeInterval(life * renewFraction)
    }

    /// Keys TLS peers accept for a client certificate: ECDSA P-256 or P-384, or RSA of 2048 bits or more.
    static func checkKey(_ key: Certificate.PublicKey) throws(FlotillaError) {
        if P256.Signing.PublicKey(key) != nil || P384.Signing.PublicKey(key) != nil { return }
        if let rsa = _RSA.Signing.PublicKey(key) {
            guard rsa.keySizeInBits >= 2048 else {
                throw FlotillaError("The CSR's RSA key has \(rsa.keySizeInBits) bits, fewer than the 2048 required", hint: "make an ECDSA P-256 key")
            }
            return
        }
        throw FlotillaError("The CSR's key is neither ECDSA P-256/P-384 nor RSA", hint: "make an ECDSA P-256 key")
    }
}
