import ArgumentParser
import FleetServer
import FleetTLS

/// The flags of the agent CA a Fleet Server issues agents' client certificates with (`agent_certificates` in YAML).
struct AgentCertificateOptions: ParsableArguments {
    @Option(name: .customLong("agent-ca"), help: "The CA (or intermediate) that issues agents' client certificates from their CSRs at enrollment and renewal.")
    var certificate: String?

    @Option(name: .customLong("agent-ca-key"), help: "Its private key (encrypted, with --agent-ca-key-passphrase-path).")
    var key: String?

    @Option(name: .customLong("agent-ca-key-passphrase-path"), help: "A file holding the agent CA key's passphrase.")
    var keyPassphrasePath: String?

    @Option(name: .customLong("agent-certificate-validity"), help: "Lifetime of each issued certificate, as a Go duration (default 720h).")
    var validity: String?

    @Option(name: .customLong("agent-certificate-renewal-grace"), help: "How long after its certificate expired an agent may renew with its API key alone (default 720h; 0s refuses).")
    var renewalGrace: String?

    func apply(to configuration: inout FleetServerConfiguration) throws {
        if (certificate == nil) != (key == nil), configuration.agentCertificates == nil {
            throw FlotillaError("--agent-ca and --agent-ca-key go together", hint: "give both, or neither")
        }
        if let certificate, let key {
            var settings = configuration.agentCertificates ?? AgentCertificateSettings(certificate: "", key: "")
            settings.certificate = absolutePath(certificate)
            settings.key = absolutePath(key)
            configuration.agentCertificates = settings
        }
        guard var settings = configuration.agentCertificates else {
            if keyPassphrasePath != nil || validity != nil || renewalGrace != nil {
                throw FlotillaError("The --agent-certificate-* and --agent-ca-key-passphrase-path flags need an agent CA", hint: "give --agent-ca and --agent-ca-key as well")
            }
            return
        }
        if let keyPassphrasePath { settings.keyPassphrasePath = absolutePath(keyPassphrasePath) }
        if let validity { settings.validity = validity }
        if let renewalGrace { settings.expiredRenewalGrace = renewalGrace }
        configuration.agentCertificates = settings
        _ = try settings.issuer()  // the CA, its key and passphrase, the durations: checked before anything starts
    }
}
