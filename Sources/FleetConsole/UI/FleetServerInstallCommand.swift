/// The seed's `flotilla install` command that runs a Fleet Server for a Fleet Server host: one-way TLS, or mutual
/// when the host requires client certificates, every flag filled in from the host's SSL options.
struct FleetServerInstallCommand {
    let host: FleetServerHost
    let policyId: String
    /// Where the store is, as the Fleet Server names it (`--fleet-server-es`).
    let store: String

    var text: String {
        let ssl = host.ssl
        let url = host.hostURLs.first ?? "https://fleet.example.com:8220"
        let mutual = ssl?.clientAuth == "required" || ssl?.clientAuth == "optional"
        var authorities = [InstallCommand.path(ssl?.agentCertificateAuthorities?.joined(separator: ","), placeholder: "/path/to/fleet-ca.crt")]
        if mutual { authorities.append(InstallCommand.path(ssl?.certificateAuthorities?.joined(separator: ","), placeholder: "/path/to/agent-ca.crt")) }
        var flags = ["--url=\(url)", "--certificate-authorities=\(authorities.joined(separator: ","))"]
        if mutual {
            flags.append("--elastic-agent-cert=\(InstallCommand.path(ssl?.agentCertificate, placeholder: "/path/to/agent-cert.crt"))")
            flags.append("--elastic-agent-cert-key=\(InstallCommand.path(ssl?.agentKey, placeholder: "/path/to/agent-cert.key"))")
            flags.append("--elastic-agent-cert-key-passphrase=/path/to/agent-cert.passphrase")
        }
        flags.append("--fleet-server-es=\(store)")
        if let cas = ssl?.esCertificateAuthorities, !cas.isEmpty {
            flags.append("--fleet-server-es-ca=\(InstallCommand.path(cas.joined(separator: ","), placeholder: "/path/to/es-ca.crt"))")
        }
        if ssl?.esCertificate != nil {
            flags.append("--fleet-server-es-cert=\(InstallCommand.path(ssl?.esCertificate, placeholder: "/path/to/fleet-es-cert.crt"))")
            flags.append("--fleet-server-es-cert-key=\(InstallCommand.path(ssl?.esKey, placeholder: "/path/to/fleet-es-cert.key"))")
        }
        flags.append("--fleet-server-cert=\(InstallCommand.path(ssl?.certificate, placeholder: "/path/to/fleet-cert.crt"))")
        flags.append("--fleet-server-cert-key=\(InstallCommand.path(ssl?.key, placeholder: "/path/to/fleet-cert.key"))")
        if mutual { flags.append("--fleet-server-client-auth=\(ssl?.clientAuth ?? "required")") }
        flags.append("--fleet-server-service-token-path=/path/to/service.token")
        flags.append("--fleet-server-policy=\(policyId)")
        flags.append("--fleet-server-port=\(Self.port(of: url))")
        return "sudo flotilla install " + flags.joined(separator: " \\\n  ")
    }

    /// The URL's port, else HTTPS's.
    static func port(of url: String) -> Int {
        guard let afterScheme = url.split(separator: "//").last?.split(separator: "/").first,
              let colon = afterScheme.lastIndex(of: ":"), let port = Int(afterScheme[afterScheme.index(after: colon)...]) else { return 443 }
        return port
    }
}
