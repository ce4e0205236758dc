import ArgumentParser
import FleetTLS
import Foundation
import X509

struct Certs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make, inspect and verify the certificates of Fleet Server, agents and the store.",
        subcommands: [CertsInit.self, CertsCA.self, CertsIssue.self, CertsInspect.self, CertsVerify.self]
    )
}

struct CertsInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make every certificate, key and CA of the one-way and mutual TLS setups in DIR."
    )

    @Argument(help: "The directory to write into (created if missing).")
    var directory: String

    @Option(name: .customLong("dns"), help: "A DNS name for the server certificates (repeatable). Default: this host's name and localhost.")
    var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: "An IP address for the server certificates (repeatable). Default: 127.0.0.1 and ::1.")
    var ipAddresses: [String] = []

    @Option(help: "Validity of the CAs, in days.")
    var caDays: Int = 3650

    @Option(help: "Validity of the certificates, in days.")
    var days: Int = 397

    @Option(help: "Key type: \(KeyAlgorithmOption.allValueStrings.joined(separator: ", ")).")
    var keyType: KeyAlgorithmOption = KeyAlgorithmOption(rawValue: "ecdsa-p256")!

    @Flag(help: "Replace an existing set.")
    var force = false

    func run() throws {
        let directory = absolutePath(directory)
        let host = ProcessInfo.processInfo.hostName
        let dns = dnsNames.isEmpty ? Array(Set([host, "localhost"])).sorted { $0 == host && $1 != host } : dnsNames
        let ips = ipAddresses.isEmpty ? ["127.0.0.1", "::1"] : ipAddresses
        let outcome = try CertificateSet.make(
            in: directory, dnsNames: dns, ipAddresses: ips,
            caValidityDays: caDays, validityDays: days, algorithm: keyType.algorithm, force: force
        )
        print(outcome == .created ? "Made the certificate set in \(directory):" : "Reusing the certificate set already in \(directory):")
        for entry in CertificateSet.entries {
            print("  \(entry.name).crt / .key")
            print("      presented by: \(entry.presentedBy)")
            print("      checked with: \(entry.checkedWith)")
        }
        print("Server certificates cover: \((dns + ips).joined(separator: ", ")). Keys and the passphrase are readable by their owner only.")
    }
}

struct CertsCA: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ca", abstract: "Make a certificate authority (writes OUT.crt and OUT.key).")

    @Option(help: "Path prefix of the files to write, e.g. certs/fleet-ca.")
    var out: String

    @Option(help: "The CA's common name.")
    var name: String = "Flotilla CA"

    @Option(help: "Validity in days.")
    var days: Int = 3650

    @Option(help: "Key type: \(KeyAlgorithmOption.allValueStrings.joined(separator: ", ")).")
    var keyType: KeyAlgorithmOption = KeyAlgorithmOption(rawValue: "ecdsa-p256")!

    @Flag(help: "Replace existing files.")
    var force = false

    func run() throws {
        let paths = ["\(out).crt", "\(out).key"]
        try refuseToOverwrite(paths, force: force)
        let made = try PKI.makeCA(commonName: name, validityDays: days, algorithm: keyType.algorithm)
        try SecureFileWriter.write(try made.key.pem(), to: paths[1], secret: true)
        try SecureFileWriter.write(made.certificate.pemText, to: paths[0], secret: false)
        print("Made the CA \(name): \(paths[0]) (certificate, give it to whoever checks certificates it signs) and \(paths[1]) (key, keep it private).")
    }
}

struct CertsIssue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a server or client certificate signed by a CA (writes OUT.crt and OUT.key)."
    )

    @Option(help: "The signing CA's certificate.")
    var ca: String

    @Option(help: "The signing CA's key.")
    var caKey: String

    @Option(help: "A file holding the passphrase of an encrypted CA key.")
    var caKeyPassphraseFile: String?

    @Option(help: "server (Fleet Server, the store) or client (an agent, Fleet Server towards the store).")
    var purpose: CertificatePurposeOption

    @Option(help: "The common name (for a client certificate of the store: the database role).")
    var name: String

    @Option(name: .customLong("dns"), help: "A DNS name the certificate covers (repeatable).")
    var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: "An IP address the certificate covers (repeatable).")
    var ipAddresses: [String] = []

    @Option(help: "Validity in days (never past the CA's own).")
    var days: Int = 397

    @Option(help: "Key type: \(KeyAlgorithmOption.allValueStrings.joined(separator: ", ")).")
    var keyType: KeyAlgorithmOption = KeyAlgorithmOption(rawValue: "ecdsa-p256")!

    @Option(help: "Encrypt the key (PKCS#8, AES-256-CBC) with the passphrase in this file.")
    var keyPassphraseFile: String?

    @Option(help: "Path prefix of the files to write, e.g. certs/fleet-cert.")
    var out: String

    @Flag(help: "Replace existing files.")
    var force = false

    func run() throws {
        let paths = ["\(out).crt", "\(out).key"]
        try refuseToOverwrite(paths, force: force)
        if purpose.purpose == .server, dnsNames.isEmpty, ipAddresses.isEmpty {
            throw FlotillaError("A server certificate needs at least one --dns or --ip", hint: "give the names clients use to reach the server")
        }
        let authority = try TLSIdentity.load(certificate: ca, key: caKey, passphrasePath: caKeyPassphraseFile, role: "CA", passphraseOption: "--ca-key-passphrase-file")
        guard authority.certificate.isCertificateAuthority else {
            throw FlotillaError("\(ca) (\(authority.certificate.displayName)) is not a CA certificate", hint: "give the CA's certificate with --ca, e.g. fleet-ca.crt")
        }
        let passphrase = try keyPassphraseFile.map { file throws(FlotillaError) in try PassphraseText.read(file) }
        let made = try PKI.issue(
            commonName: name, purpose: purpose.purpose, dnsNames: dnsNames, ipAddresses: ipAddresses,
            validityDays: days, algorithm: keyType.algorithm, by: authority.signingAuthority
        )
        try SecureFileWriter.write(try made.key.pem(passphrase: passphrase.map { Array($0.utf8) }), to: paths[1], secret: true)
        try SecureFileWriter.write(made.certificate.pemText, to: paths[0], secret: false)
        print("Issued the \(purpose.rawValue) certificate \(name), signed by \(authority.certificate.displayName): \(paths[0]) and \(paths[1])\(passphrase == nil ? "" : " (encrypted)").")
    }
}

struct CertsInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a certificate, chain or key: names, validity, fingerprints and pins.")

    @Argument(help: "A PEM certificate, chain or key.")
    var file: String

    func run() throws {
        print(try CertificateReport.describe(file))
    }
}

struct CertsVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that a certificate chains to a CA, is in date, fits the host and purpose, and matches its key."
    )

    @Option(help: "The CA file(s) to check against (repeatable or comma-separated).")
    var ca: [String]

    @Option(help: "The certificate (or chain) to check.")
    var cert: String

    @Option(help: "Its private key, to check that they match.")
    var key: String?

    @Option(help: "A file holding the key's passphrase.")
    var keyPassphraseFile: String?

    @Option(help: "The host name or IP address clients connect to (server certificates).")
    var host: String?

    @Option(help: "server or client. Default: what the certificate says it is for.")
    var purpose: CertificatePurposeOption?

    func run() async throws {
        let purpose = try purpose?.purpose ?? CertificateCheck.ownPurpose(of: cert)
        let passed = try await CertificateCheck.verify(
            authorities: commaSeparated(ca), certificate: cert, key: key,
            passphrasePath: keyPassphraseFile, host: host, purpose: purpose
        )
        let leaf = passed.chain[0]
        var facts = [
            "chains to \(passed.chain.dropFirst().map(\.displayName).joined(separator: " → "))",
            "valid until \(leaf.notValidAfter.formatted(.iso8601)) (\(leaf.daysLeft()) days left)",
            "a \(purpose.rawValue) certificate",
        ]
        if let host { facts.append("covers \(host)") }
        if passed.keyMatched { facts.append("matches its key") }
        print("OK: \(leaf.displayName) \(facts.joined(separator: ", ")).")
    }
}
