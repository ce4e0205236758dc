import Crypto
import Foundation
import SwiftASN1
import X509

/// `flotilla certs verify`: the checks a TLS peer would make, run on files, with the first failure as a sentence.
public enum CertificateCheck {
    public struct Passed: Sendable {
        /// Leaf first, trusted CA last.
        public var chain: [Certificate]
        public var keyMatched: Bool
    }

    public static func verify(
        authorities: [String],
        certificate: String,
        key: String?,
        passphrasePath: String?,
        host: String?,
        purpose: CertificatePurpose
    ) async throws(FlotillaError) -> Passed {
        let cas = try CertificateFiles.loadAuthorities(authorities, role: "CA")
        let chain = try CertificateFiles.loadChain(certificate, role: "certificate")
        var keyMatched = false
        if let key {
            let loaded = try PrivateKeyFiles.load(key, passphrasePath: passphrasePath, role: "key", passphraseOption: "--key-passphrase-file")
            let origin = try PEMSource.read(certificate, role: "certificate").described
            try PrivateKeyFiles.checkMatch(loaded, certificate: chain[0], certificateOrigin: origin, role: "certificate")
            keyMatched = true
        }
        let verifier = PeerVerifier(peer: purpose == .server ? .server(host: host) : .client, authorities: cas)
        switch await verifier.verify(chain) {
        case .trusted(let verified):
            return Passed(chain: verified, keyMatched: keyMatched)
        case .rejected(let reason):
            throw FlotillaError(reason.replacingOccurrences(of: "The \(verifier.peerName)", with: "The certificate"), hint: nil)
        }
    }
}

/// `flotilla certs inspect`: what a person checks about a certificate, a chain or a key.
public enum CertificateReport {
    public static func describe(_ path: String, now: Date = Date()) throws(FlotillaError) -> String {
        let pem = try PEMSource.read(path, role: "inspected")
        let labels = pem.blockLabels
        guard !labels.isEmpty else {
            throw FlotillaError("\(pem.origin) is not PEM (no -----BEGIN line)", hint: "give a PEM certificate, chain or key")
        }
        var sections: [String] = []
        if labels.contains("CERTIFICATE") {
            let chain = try CertificateFiles.certificates(in: pem, role: "inspected")
            for (index, certificate) in chain.enumerated() {
                sections.append(describe(certificate, title: chain.count > 1 ? "Certificate \(index + 1) of \(chain.count)" : "Certificate", now: now))
            }
        }
        if labels.contains(where: PrivateKeyFiles.keyLabels.contains) {
            if labels.contains("ENCRYPTED PRIVATE KEY") || pem.text.contains("Proc-Type: 4,ENCRYPTED") {
                sections.append("Private key\n  encrypted:     yes (give its passphrase file to flotilla certs verify to check it)")
            } else {
                let key = try PrivateKeyFiles.load(path, passphrasePath: nil, role: "inspected key")
                sections.append("""
                    Private key
                      type:          \(key.key.publicKey.keyDescription)
                      encrypted:     no
                      ca_sha256:     \(PublicKeyPin.of(key.key.publicKey))
                    """)
            }
        }
        return sections.joined(separator: "\n\n")
    }

    static func describe(_ certificate: Certificate, title: String, now: Date) -> String {
        let days = certificate.daysLeft(at: now)
        let status = CertificateFiles.validityProblem(certificate, now: now) ?? "valid, \(days) days left"
        let usages = certificate.extendedKeyUsages.map { usage -> String in
            usage == .serverAuth ? "server" : usage == .clientAuth ? "client" : "\(usage)"
        }
        return """
            \(title)
              subject:       \(certificate.subject)
              issuer:        \(certificate.issuer)\(certificate.isSelfIssued ? " (self-signed)" : "")
              is a CA:       \(certificate.isCertificateAuthority ? "yes" : "no")
              purpose:       \(usages.isEmpty ? "any" : usages.joined(separator: ", "))
              DNS names:     \(certificate.dnsNames.isEmpty ? "-" : certificate.dnsNames.joined(separator: ", "))
              IP addresses:  \(certificate.ipAddresses.isEmpty ? "-" : certificate.ipAddresses.joined(separator: ", "))
              not before:    \(certificate.notValidBefore.utcText)
              not after:     \(certificate.notValidAfter.utcText) (\(status))
              key:           \(certificate.keyDescription)
              serial:        \(certificate.serialNumber)
              sha256:        \(certificate.sha256Fingerprint)
              ca_sha256:     \(certificate.spkiPin)
            """
    }
}

/// The `ca_sha256` pin: base64 SHA-256 of a SubjectPublicKeyInfo, stable across re-issues with the same key.
enum PublicKeyPin {
    static func of(_ key: Certificate.PublicKey) -> String {
        var serializer = DER.Serializer()
        try! serializer.serialize(key)  // a parsed key always serializes
        return Data(SHA256.hash(data: serializer.serializedBytes)).base64EncodedString()
    }
}

extension CertificateCheck {
    /// What a certificate says it is for: client when its extended key usage allows only that, else server.
    public static func ownPurpose(of certificate: String) throws(FlotillaError) -> CertificatePurpose {
        let pem = try PEMSource.read(certificate, role: "certificate")
        let usages = try CertificateFiles.certificates(in: pem, role: "certificate")[0].extendedKeyUsages
        return usages.contains(.clientAuth) && !usages.contains(.serverAuth) ? .client : .server
    }
}

extension CertificateCheck {
    /// The first certificate of a file.
    public static func leaf(_ certificate: String) throws(FlotillaError) -> Certificate {
        let pem = try PEMSource.read(certificate, role: "certificate")
        return try CertificateFiles.certificates(in: pem, role: "certificate")[0]
    }
}

extension CertificateCheck {
    /// Fails unless the server certificate `path` (presented for `flag`) covers `host`, the name clients verify.
    public static func requireCovers(_ path: String, host: String, flag: String, urlFlag: String) throws(FlotillaError) {
        let certificate = try leaf(path)
        guard !HostNameMatch.covers(certificate, host: host) else { return }
        throw FlotillaError(
            "\(flag) \(path) is for \(HostNameMatch.describeNames(certificate)), not for \(host) in \(urlFlag), so agents would refuse it",
            hint: "issue it for \(host) (flotilla certs issue --dns \(host)) or use one of its names in \(urlFlag)"
        )
    }
}
