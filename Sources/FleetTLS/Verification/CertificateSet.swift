import Foundation
import X509

/// `flotilla certs init`: every file the seed's install commands name, made in one go, with what each is for.
public enum CertificateSet {
    public struct Entry: Sendable {
        /// File name without extension: "fleet-cert".
        public var name: String
        public var presentedBy: String
        public var checkedWith: String
    }

    /// What the set holds, in the order it is printed.
    public static let entries: [Entry] = [
        Entry(name: "fleet-ca", presentedBy: "nobody (a CA)", checkedWith: "agents use it to check fleet-cert (--certificate-authorities)"),
        Entry(name: "agent-ca", presentedBy: "nobody (a CA)", checkedWith: "Fleet Server uses it to check agent-cert (--certificate-authorities, client auth)"),
        Entry(name: "es-ca", presentedBy: "nobody (a CA)", checkedWith: "Fleet Server uses it to check es-cert (--fleet-server-es-ca); the store uses it to check fleet-es-cert"),
        Entry(name: "fleet-cert", presentedBy: "Fleet Server, to agents (--fleet-server-cert, --fleet-server-cert-key)", checkedWith: "fleet-ca"),
        Entry(name: "agent-cert", presentedBy: "each agent, to Fleet Server under mTLS (--elastic-agent-cert, --elastic-agent-cert-key, key encrypted; passphrase in agent-cert.passphrase)", checkedWith: "agent-ca"),
        Entry(name: "es-cert", presentedBy: "the store (PostgreSQL), to Fleet Server", checkedWith: "es-ca"),
        Entry(name: "fleet-es-cert", presentedBy: "Fleet Server, to the store under mTLS (--fleet-server-es-cert, --fleet-server-es-cert-key)", checkedWith: "es-ca"),
    ]

    /// The store's role that authenticates with fleet-es-cert: PostgreSQL maps the certificate's CN to it.
    public static let storeClientName = "flotilla"

    public static func files(in directory: String) -> [String] {
        entries.flatMap { ["\(directory)/\($0.name).crt", "\(directory)/\($0.name).key"] } + ["\(directory)/agent-cert.passphrase"]
    }

    public enum Outcome: Sendable, Equatable {
        case created
        /// Every file was already there; nothing was written.
        case reused
    }

    /// Makes the set in `directory`. Refuses to replace part of an existing set unless `force`; reuses a whole one.
    public static func make(
        in directory: String,
        dnsNames: [String],
        ipAddresses: [String],
        caValidityDays: Int = 3650,
        validityDays: Int = 397,
        algorithm: KeyAlgorithm = .ecdsaP256,
        force: Bool = false
    ) throws(FlotillaError) -> Outcome {
        let existing = files(in: directory).filter { FileManager.default.fileExists(atPath: $0) }
        if !force, existing.count == files(in: directory).count {
            return .reused
        }
        if !force, !existing.isEmpty {
            throw FlotillaError(
                "\(directory) already holds part of a certificate set (\(existing.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))",
                hint: "choose an empty directory, or pass --force to replace them all"
            )
        }
        // Everything is made in memory first, so a failure leaves no partial set behind.
        var outputs: [(path: String, text: String, secret: Bool)] = []
        do {
            func addCA(_ name: String, _ commonName: String) throws -> SigningAuthority {
                let made = try PKI.makeCA(commonName: commonName, validityDays: caValidityDays, algorithm: algorithm)
                outputs.append(("\(directory)/\(name).crt", made.certificate.pemText, false))
                outputs.append(("\(directory)/\(name).key", try made.key.pem(), true))
                return SigningAuthority(certificate: made.certificate, key: made.key.certificateKey)
            }
            func addLeaf(_ name: String, _ commonName: String, _ purpose: CertificatePurpose, by ca: SigningAuthority, passphrase: [UInt8]? = nil) throws {
                let made = try PKI.issue(
                    commonName: commonName, purpose: purpose,
                    dnsNames: purpose == .server ? dnsNames : [], ipAddresses: purpose == .server ? ipAddresses : [],
                    validityDays: validityDays, algorithm: algorithm, by: ca
                )
                outputs.append(("\(directory)/\(name).crt", made.certificate.pemText, false))
                outputs.append(("\(directory)/\(name).key", try made.key.pem(passphrase: passphrase), true))
            }
            let fleetCA = try addCA("fleet-ca", "Flotilla Fleet CA")
            let agentCA = try addCA("agent-ca", "Flotilla Agent CA")
            let storeCA = try addCA("es-ca", "Flotilla Store CA")
            let serverName = dnsNames.first ?? ipAddresses.first ?? "localhost"
            try addLeaf("fleet-cert", serverName, .server, by: fleetCA)
            let passphrase = Passphrase.random()
            try addLeaf("agent-cert", "flotilla-agent", .client, by: agentCA, passphrase: Array(passphrase.utf8))
            outputs.append(("\(directory)/agent-cert.passphrase", passphrase, true))
            try addLeaf("es-cert", serverName, .server, by: storeCA)
            try addLeaf("fleet-es-cert", storeClientName, .client, by: storeCA)
        } catch let error as FlotillaError {
            throw error
        } catch {
            throw FlotillaError("Cannot make the certificate set (\(error))", hint: "report this as a bug")
        }
        var written: [String] = []
        do {
            for output in outputs {
                try SecureFileWriter.write(output.text, to: output.path, secret: output.secret)
                written.append(output.path)
            }
        } catch {
            if existing.isEmpty { written.forEach { unlink($0) } }
            throw error
        }
        return .created
    }
}

/// Random passphrases and secrets: 32 characters from a URL-safe alphabet (about 190 bits).
public enum Passphrase {
    public static func random(length: Int = 32) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
