/// The `flotilla install` command that enrolls a host through a Fleet Server host: `--url`, the token, the CAs
/// agents trust, the agent certificate and key when the host requires client certificates, and the proxy.
struct InstallCommand {
    let host: FleetServerHost
    let proxy: FleetProxy?
    let token: String

    var text: String {
        var flags = ["--url=\(host.hostURLs.first ?? "")", "--enrollment-token=\(token)"]
        let ssl = host.ssl
        flags.append("--certificate-authorities=\(Self.path(ssl?.agentCertificateAuthorities?.joined(separator: ","), placeholder: "/path/to/fleet-ca.crt"))")
        if ssl?.clientAuth == "required" || ssl?.clientAuth == "optional" {
            flags.append("--elastic-agent-cert=\(Self.path(ssl?.agentCertificate, placeholder: "/path/to/agent-cert.crt"))")
            flags.append("--elastic-agent-cert-key=\(Self.path(ssl?.agentKey, placeholder: "/path/to/agent-cert.key"))")
            flags.append("--elastic-agent-cert-key-passphrase=/path/to/agent-cert.passphrase")
        }
        if let proxy { flags.append("--proxy-url=\(proxy.url)") }
        return "sudo flotilla install " + flags.joined(separator: " \\\n  ")
    }

    /// A path as given; inline PEM cannot go on a command line, so it becomes a placeholder to fill in.
    static func path(_ value: String?, placeholder: String) -> String {
        guard let value, !value.contains("-----BEGIN ") else { return placeholder }
        return value
    }
}
