import ArgumentParser
import FleetServer
import FleetTLS
import Foundation

/// The Fleet Server's own flags, shared by `flotilla server` and the agent's bootstrap (`install --fleet-server-*`).
struct FleetServerOptions: ParsableArguments {
    @Option(name: .customLong("fleet-server-cert"), help: "The certificate Fleet Server presents to agents.")
    var certificate: String?

    @Option(name: .customLong("fleet-server-cert-key"), help: "Its private key.")
    var key: String?

    @Option(name: .customLong("fleet-server-cert-key-passphrase"), help: "A file holding the key's passphrase.")
    var keyPassphrase: String?

    @Option(name: .customLong("fleet-server-next-cert"), help: "A certificate from the new Fleet Server CA, presented once a Fleet Server CA rotation reaches phase 2.")
    var nextCertificate: String?

    @Option(name: .customLong("fleet-server-next-cert-key"), help: "Its private key (opened with --fleet-server-cert-key-passphrase).")
    var nextKey: String?

    @Option(name: .customLong("fleet-server-client-auth"), help: "none, optional or required: whether agents must present a certificate.")
    var clientAuth: String?

    @Option(name: .customLong("fleet-server-service-token"), help: "The service token (prefer the -path form: a command line is visible to other users).")
    var serviceToken: String?

    @Option(name: .customLong("fleet-server-service-token-path"), help: "A file holding the service token.")
    var serviceTokenPath: String?

    @Option(name: .customLong("fleet-server-policy"), help: "The Fleet Server policy id.")
    var policy: String?

    @Option(name: .customLong("fleet-server-host"), help: "The address to listen on (default 0.0.0.0).")
    var host: String?

    @Option(name: .customLong("fleet-server-port"), help: "The port to listen on (default 8220).")
    var port: Int?

    /// Whether any of these flags was given.
    var isEmpty: Bool {
        certificate == nil && key == nil && keyPassphrase == nil && clientAuth == nil && serviceToken == nil
            && nextCertificate == nil && nextKey == nil
            && serviceTokenPath == nil && policy == nil && host == nil && port == nil
    }

    func apply(to configuration: inout FleetServerConfiguration) throws {
        if serviceToken != nil, serviceTokenPath != nil {
            throw FlotillaError("--fleet-server-service-token and --fleet-server-service-token-path cannot both be given", hint: "keep the -path form")
        }
        if let host { configuration.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw FlotillaError("--fleet-server-port \(port) is not a port", hint: "give 1 to 65535, or 0 for any free one") }
            configuration.port = port
        }
        if let certificate { configuration.tls.certificate = absolutePath(certificate) }
        if let key { configuration.tls.key = absolutePath(key) }
        if let keyPassphrase { configuration.tls.keyPassphrasePath = absolutePath(keyPassphrase) }
        if let nextCertificate { configuration.nextCertificate = absolutePath(nextCertificate) }
        if let nextKey { configuration.nextKey = absolutePath(nextKey) }
        if let clientAuth {
            guard let mode = TLSSettings.ClientAuth(rawValue: clientAuth) else {
                throw FlotillaError("--fleet-server-client-auth must be none, optional or required, not \(clientAuth)")
            }
            configuration.tls.clientAuth = mode
        }
        if let serviceTokenPath {
            guard let token = try? String(contentsOfFile: serviceTokenPath, encoding: .utf8) else {
                throw FlotillaError("The service token file \(serviceTokenPath) (--fleet-server-service-token-path) cannot be read", hint: "check the path")
            }
            configuration.serviceToken = token.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let serviceToken { configuration.serviceToken = serviceToken }
        if let policy { configuration.policyId = policy }
    }
}

/// How Fleet Server checks a networked store and what it presents to it. The SQLite store is a local file and
/// uses none of this; PostgreSQL does.
struct StoreTLSOptions: ParsableArguments {
    @Option(name: .customLong("fleet-server-es-password-file"), help: "A file holding the store user's password (else PGPASSWORD).")
    var passwordFile: String?

    @Option(name: .customLong("fleet-server-es-ca"), help: "CA files that sign the store's certificate (comma-separated).")
    var certificateAuthorities: [String] = []

    @Option(name: .customLong("fleet-server-es-ca-trusted-fingerprint"), help: "SHA-256 fingerprint (hex) of a CA in the store's chain.")
    var trustedFingerprint: String?

    @Option(name: .customLong("fleet-server-es-cert"), help: "The client certificate Fleet Server presents to the store.")
    var certificate: String?

    @Option(name: .customLong("fleet-server-es-cert-key"), help: "Its private key.")
    var key: String?

    @Flag(name: .customLong("fleet-server-es-insecure"), help: "Do not verify the store's certificate (never in production).")
    var insecure = false

    var isEmpty: Bool { certificateAuthorities.isEmpty && trustedFingerprint == nil && certificate == nil && key == nil && !insecure && passwordFile == nil }

    func apply(to configuration: inout FleetServerConfiguration) throws {
        if let settings = try settings() { configuration.storeTLS = settings }
        if let passwordFile { configuration.storePasswordFile = absolutePath(passwordFile) }
    }

    /// The settings, with every file loaded and checked now; nil when no flag was given.
    func settings() throws -> TLSSettings? {
        guard !(certificateAuthorities.isEmpty && trustedFingerprint == nil && certificate == nil && key == nil && !insecure) else { return nil }
        if insecure, !certificateAuthorities.isEmpty || trustedFingerprint != nil {
            throw FlotillaError("--fleet-server-es-insecure cannot be combined with --fleet-server-es-ca or --fleet-server-es-ca-trusted-fingerprint", hint: "drop --fleet-server-es-insecure to verify the store")
        }
        if (certificate == nil) != (key == nil) {
            throw FlotillaError("--fleet-server-es-cert and --fleet-server-es-cert-key go together", hint: "give both, or neither")
        }
        let settings = TLSSettings(
            certificateAuthorities: commaSeparated(certificateAuthorities).map(absolutePath),
            certificate: certificate.map(absolutePath), key: key.map(absolutePath),
            verificationMode: insecure ? .none : .full, caTrustedFingerprint: trustedFingerprint
        )
        _ = try TLSClientContext(settings: settings, role: "store", fields: .store)  // files, key match and client purpose
        return settings
    }
}
