import Foundation
import X509
@testable import FleetTLS

/// The PEM readers: certificate chains and CA bundles, private keys (plain and encrypted, opened with a
/// passphrase file), and the CSRs agents send to be signed. The first byte picks the reader; the rest is the text.
struct PEMLoaders: FuzzTarget {
    let name = "pem"

    /// A passphrase file for encrypted keys, and a CA to sign CSRs with: made once per process.
    static let fixtures: (passphrase: String, issuer: AgentCertificateIssuer) = {
        let passphrase = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-fuzz-\(getpid()).pass").path
        FileManager.default.createFile(atPath: passphrase, contents: Data("fuzz-passphrase\n".utf8), attributes: [.posixPermissions: 0o600])
        let ca = try! PKI.makeCA(commonName: "Fuzz CA", validityDays: 30)
        let identity = try! TLSIdentity.load(
            certificate: try! ca.certificate.serializeAsPEM().pemString, key: try! ca.key.pem(), passphrasePath: nil, role: "fuzz CA"
        )
        return (passphrase, try! AgentCertificateIssuer(identity: identity, validity: 86_400))
    }()

    func run(_ data: Data) -> FuzzOutcome {
        guard let selector = data.first else { return .refused("empty") }
        // Always inline: a fuzzed string must never be taken for a path and read from disk.
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        let pem = PEMSource(origin: "inline PEM", text: PEMSource.normalized(text))
        do throws(FlotillaError) {
            switch selector % 4 {
            case 0:
                _ = try CertificateFiles.certificates(in: pem, role: "fuzzed certificate")
            case 1:
                guard text.contains("-----BEGIN ") else { return .refused("not PEM") }
                _ = try CertificateFiles.loadAuthorities([text], role: "fuzzed CA")
            case 2:
                guard text.contains("-----BEGIN ") else { return .refused("not PEM") }
                _ = try PrivateKeyFiles.load(text, passphrasePath: Self.fixtures.passphrase, role: "fuzzed key")
            default:
                _ = try Self.fixtures.issuer.issue(csrPEM: text, agentId: "fuzzed-agent")
            }
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }
}
