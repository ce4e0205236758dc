import ArgumentParser
import FleetAgent
import FleetTLS
import Foundation

/// Enrollment flags, spelled as elastic-agent spells them.
struct AgentEnrollmentOptions: ParsableArguments {
    @Option(help: "The Fleet Server URL agents use (with --fleet-server-*: this host's public URL).")
    var url: String

    @Option(help: "The enrollment token (not needed when this agent bootstraps its own Fleet Server).")
    var enrollmentToken: String?

    @Option(help: "A tag for this agent (repeatable or comma-separated).")
    var tag: [String] = []

    @Option(help: "The agent id to enroll with (default: generated).")
    var id: String?

    @Option(help: "A token that lets a later enrollment with the same --id replace this agent.")
    var replaceToken: String?

    @Option(help: "A header sent with every request to Fleet Server, as Name=Value (repeatable).")
    var header: [String] = []

    @Option(help: "An http://, https:// or socks5:// proxy to reach Fleet Server through (default: HTTPS_PROXY or ALL_PROXY from the environment).")
    var proxyURL: String?

    @Option(help: "A header sent to the proxy with CONNECT, as Name=Value (repeatable).")
    var proxyHeader: [String] = []

    @Option(help: "A file holding user:password for the proxy (HTTP Basic, or SOCKS5's user and password), kept out of the command line.")
    var proxyCredentialsFile: String?

    @Option(help: "CA files that sign an https:// proxy's own certificate (comma-separated; default: the system's).")
    var proxyCertificateAuthorities: [String] = []

    @Option(help: "The client certificate presented to an https:// proxy that asks for one.")
    var proxyCertificate: String?

    @Option(help: "Its private key.")
    var proxyCertificateKey: String?

    @Flag(help: "Connect directly, ignoring --proxy-url and HTTPS_PROXY.")
    var proxyDisabled = false

    @Flag(help: "Replace an existing enrollment.")
    var force = false

    @Flag(help: "Never ask questions (Flotilla never does; accepted for elastic-agent's command lines).")
    var nonInteractive = false

    func connectionOptions() throws -> FleetConnectionOptions {
        if proxyDisabled, proxyURL != nil {
            throw FlotillaError("--proxy-disabled cannot be combined with --proxy-url", hint: "drop one of them")
        }
        // A proxy taken from this shell's HTTPS_PROXY is kept: the agent's service will not have this environment.
        let endpoint = try HTTPEndpoint(url: url, field: "--url")
        let fromEnvironment = proxyURL == nil && !proxyDisabled ? try ForwardProxy.fromEnvironment(for: endpoint.host, port: endpoint.port) : nil
        var proxyHeaders = try Self.keyValues(proxyHeader, flag: "--proxy-header")
        try HTTPHeaderCheck.validate(proxyHeaders, field: "--proxy-header")
        let headers = try Self.keyValues(header, flag: "--header")
        try HTTPHeaderCheck.validate(headers, field: "--header")
        if let proxyCredentialsFile {
            proxyHeaders["Proxy-Authorization"] = try Self.basicCredentials(file: proxyCredentialsFile)
        }
        if (proxyCertificate == nil) != (proxyCertificateKey == nil) {
            throw FlotillaError("--proxy-certificate and --proxy-certificate-key go together", hint: "give both, or neither")
        }
        let proxyCAs = proxyCertificateAuthorities.flatMap { $0.split(separator: ",").map { absolutePath(String($0)) } }
        let proxyTLS: TLSSettings? = proxyCAs.isEmpty && proxyCertificate == nil ? nil : TLSSettings(
            certificateAuthorities: proxyCAs, certificate: proxyCertificate.map(absolutePath), key: proxyCertificateKey.map(absolutePath)
        )
        let options = FleetConnectionOptions(
            headers: headers,
            proxyURL: proxyURL ?? (fromEnvironment == nil ? nil : ForwardProxy.environmentURL()),
            proxyHeaders: proxyHeaders, proxyTLS: proxyTLS, proxyDisabled: proxyDisabled
        )
        _ = try FleetConnection(url: url, tls: TLSSettings(verificationMode: .none), options: options)  // the URL and proxy parse
        return options
    }

    /// `Proxy-Authorization: Basic ...` from a file holding `user:password` on its first line.
    static func basicCredentials(file: String) throws(FlotillaError) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw FlotillaError("The proxy credentials file \(file) (--proxy-credentials-file) cannot be read", hint: "give a file holding user:password")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw FlotillaError("The proxy credentials file \(file) (--proxy-credentials-file) does not hold user:password", hint: "write the user, a colon and the password on its first line")
        }
        return "Basic " + Data(line.utf8).base64EncodedString()
    }

    /// `Name=Value` pairs; the value may itself contain `=`.
    static func keyValues(_ values: [String], flag: String) throws(FlotillaError) -> [String: String] {
        var pairs: [String: String] = [:]
        for value in values {
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw FlotillaError("\(flag) needs Name=Value, and one value has no name or no =", hint: "write it like \(flag)=X-Name=value")
            }
            pairs[value[..<equals].trimmingCharacters(in: .whitespaces)] = String(value[value.index(after: equals)...])
        }
        return pairs
    }
}

/// How the agent checks Fleet Server, and the certificate it presents under mutual TLS.
struct AgentTLSOptions: ParsableArguments {
    @Option(help: "CA files that sign the Fleet Server's certificate (comma-separated); with --fleet-server-*, also the CAs Fleet Server checks agents with.")
    var certificateAuthorities: [String] = []

    @Option(name: .customLong("elastic-agent-cert"), help: "The client certificate this agent presents under mutual TLS.")
    var agentCertificate: String?

    @Option(name: .customLong("elastic-agent-cert-key"), help: "Its private key (PKCS#8 or PKCS#1, encrypted or not).")
    var agentKey: [String] = []

    @Option(name: .customLong("elastic-agent-cert-key-passphrase"), help: "A file holding the key's passphrase.")
    var agentKeyPassphrase: String?

    @Option(name: .customLong("ca-sha256"), help: "Base64 SHA-256 pin of a certificate's public key in the server's chain.")
    var caSHA256: [String] = []

    @Flag(help: "Do not verify the Fleet Server's certificate (never in production).")
    var insecure = false

    /// The settings these flags describe, loaded and checked now (files, key match, passphrase, purpose).
    func settings(url: String) throws -> TLSSettings {
        if insecure, !certificateAuthorities.isEmpty || !caSHA256.isEmpty {
            throw FlotillaError("--insecure cannot be combined with --certificate-authorities or --ca-sha256", hint: "drop --insecure to verify the server, or the CAs to skip verification")
        }
        let (key, passphrase) = try keyAndPassphrase()
        if (agentCertificate == nil) != (key == nil) {
            throw FlotillaError("--elastic-agent-cert and --elastic-agent-cert-key go together", hint: "give both, or neither")
        }
        if passphrase != nil, key == nil {
            throw FlotillaError("--elastic-agent-cert-key-passphrase is given without --elastic-agent-cert-key")
        }
        let settings = TLSSettings(
            certificateAuthorities: commaSeparated(certificateAuthorities).map(absolutePath),
            certificate: agentCertificate.map(absolutePath), key: key.map(absolutePath), keyPassphrasePath: passphrase.map(absolutePath),
            verificationMode: insecure ? .none : .full, caSha256: commaSeparated(caSHA256)
        )
        _ = try FleetConnection(url: url, tls: settings)
        return settings
    }

    /// The key file and the passphrase file. Elastic's documented mutual-TLS command passes
    /// `--elastic-agent-cert-key` twice, the second time with the passphrase file; that command must work here,
    /// so two values are told apart by what the files hold.
    func keyAndPassphrase() throws(FlotillaError) -> (key: String?, passphrase: String?) {
        switch agentKey.count {
        case 0, 1:
            return (agentKey.first, agentKeyPassphrase)
        case 2 where agentKeyPassphrase == nil:
            let holdsKey = agentKey.map { path in
                (try? String(contentsOfFile: path, encoding: .utf8))?.contains("PRIVATE KEY-----") ?? false
            }
            guard holdsKey.filter({ $0 }).count == 1, let keyIndex = holdsKey.firstIndex(of: true) else {
                throw FlotillaError("--elastic-agent-cert-key is given twice (\(agentKey.joined(separator: ", ")))", hint: "give the key once, and its passphrase file with --elastic-agent-cert-key-passphrase")
            }
            let passphrase = agentKey[1 - keyIndex]
            say("Reading \(passphrase), given as a second --elastic-agent-cert-key, as --elastic-agent-cert-key-passphrase: it holds no key.")
            return (agentKey[keyIndex], passphrase)
        default:
            throw FlotillaError("--elastic-agent-cert-key is given \(agentKey.count) times", hint: "give the key once, and its passphrase file with --elastic-agent-cert-key-passphrase")
        }
    }
}

/// State keeps absolute paths: the agent may run from another directory.
func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
}
