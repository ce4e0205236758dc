import Foundation
import SwiftASN1
import X509

/// Loads certificates and CA bundles and checks them before use, failing with a sentence that names the file.
public enum CertificateFiles {
    /// A certificate file: the leaf first, then any intermediates. The leaf must be in date.
    public static func loadChain(_ source: String, role: String, now: Date = Date()) throws(FlotillaError) -> [Certificate] {
        let pem = try PEMSource.read(source, role: role)
        let chain = try certificates(in: pem, role: role)
        if let problem = validityProblem(chain[0], now: now) {
            throw FlotillaError("The \(role) \(pem.described) (\(chain[0].displayName)) \(problem)", hint: renewHint)
        }
        return chain
    }

    /// CA files: each must hold at least one CA certificate, and every CA must be in date.
    public static func loadAuthorities(_ sources: [String], role: String, now: Date = Date()) throws(FlotillaError) -> [Certificate] {
        var authorities: [Certificate] = []
        for source in sources {
            let pem = try PEMSource.read(source, role: role)
            let found = try certificates(in: pem, role: role)
            let cas = found.filter { $0.isCertificateAuthority || ($0.isSelfIssued && $0.version == .v1) }
            guard !cas.isEmpty else {
                throw FlotillaError(
                    "The \(role) \(pem.described) holds no CA certificate (\(found[0].displayName) is not a CA)",
                    hint: "pass the certificate of the CA that issued it (issuer: \(found[0].issuerDisplayName))"
                )
            }
            for ca in cas {
                if let problem = validityProblem(ca, now: now) {
                    throw FlotillaError("The CA \(ca.displayName) in the \(role) \(pem.described) \(problem)", hint: "make a new CA and re-issue the certificates it signs")
                }
            }
            authorities += cas
        }
        return authorities
    }

    /// Every certificate in a PEM text, in order.
    static func certificates(in pem: PEMSource, role: String) throws(FlotillaError) -> [Certificate] {
        let labels = pem.blockLabels
        guard !labels.isEmpty else {
            throw FlotillaError(
                "The \(role) \(pem.described) is not PEM (no -----BEGIN CERTIFICATE----- line)",
                hint: "convert it to PEM, for example with openssl x509 -inform der -in FILE -out FILE.pem"
            )
        }
        guard labels.contains("CERTIFICATE") else {
            throw FlotillaError(
                "The \(role) \(pem.described) holds a \(labels[0]), not a certificate",
                hint: "pass the certificate file here and the key with its own option"
            )
        }
        let parsed: [Certificate]
        do {
            parsed = try PEMDocument.parseMultiple(pemString: pem.text)
                .filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw FlotillaError("The \(role) \(pem.described) holds a certificate that cannot be parsed", hint: "the file is damaged; copy or issue it again")
        }
        // A BEGIN line without its END (found by the fuzzer): a label, but no whole block.
        guard !parsed.isEmpty else {
            throw FlotillaError(
                "The \(role) \(pem.described) holds no whole certificate "
                    + "(a -----BEGIN CERTIFICATE----- line without its -----END CERTIFICATE----- line)",
                hint: "the file is cut short or damaged; copy or issue it again"
            )
        }
        return parsed
    }

    /// "expired on ..." or "is not valid before ...", or nil when the certificate is in date.
    static func validityProblem(_ certificate: Certificate, now: Date) -> String? {
        if now > certificate.notValidAfter {
            return "expired on \(certificate.notValidAfter.utcText)"
        }
        if now < certificate.notValidBefore {
            return "is not valid before \(certificate.notValidBefore.utcText) (check this machine's clock)"
        }
        return nil
    }

    static let renewHint = "issue a new one, for example with flotilla certs issue"
}
