import FleetTLS
import Foundation
import X509

/// Checks a setting before it is saved, failing with one sentence that names the field: paths that cannot be read
/// on the console's host, PEM that does not parse, keys that do not match their certificates, CAs that do not
/// sign the certificate they are meant to check, client auth without CAs, bad URLs.
struct SettingsValidator {
    var proxies: [FleetProxy]

    func check(_ host: FleetServerHost) async throws(ConsoleError) {
        try requireName(host.name)
        guard (1...10).contains(host.hostURLs.count) else { throw .badRequest("host_urls: give between 1 and 10 URLs") }
        var hostNames: [String] = []
        for (index, url) in host.hostURLs.enumerated() {
            hostNames.append(try checkURL(url, field: "host_urls[\(index)]", schemes: ["https", "http"]))
        }
        try checkProxy(host.proxyId)
        guard let ssl = host.ssl else { return }
        let clientAuth = ssl.clientAuth ?? "none"
        guard ["none", "optional", "required"].contains(clientAuth) else {
            throw .badRequest("ssl.client_auth: must be none, optional or required, not \(clientAuth)")
        }
        let clientCAs = try authorities(ssl.certificateAuthorities, field: "ssl.certificate_authorities", label: "Server SSL certificate authorities")
        if clientAuth != "none", clientCAs.isEmpty {
            throw .badRequest("ssl.client_auth: \(clientAuth) needs ssl.certificate_authorities (Server SSL certificate authorities) to check agents' certificates with")
        }
        let server = try identity(ssl.certificate, key: ssl.key, field: "ssl.certificate", keyField: "ssl.key", label: "Client SSL certificate")
        _ = try authorities(ssl.esCertificateAuthorities, field: "ssl.es_certificate_authorities", label: "Elasticsearch certificate authorities")
        _ = try identity(ssl.esCertificate, key: ssl.esKey, field: "ssl.es_certificate", keyField: "ssl.es_key", label: "SSL certificate for Elasticsearch")
        let agentCAs = try authorities(ssl.agentCertificateAuthorities, field: "ssl.agent_certificate_authorities", label: "agent certificate authorities")
        let agent = try identity(ssl.agentCertificate, key: ssl.agentKey, field: "ssl.agent_certificate", keyField: "ssl.agent_key", label: "agent certificate")
        // The CAs agents trust must sign the Fleet Server's certificate, for every URL agents dial.
        if let server, !agentCAs.isEmpty {
            for name in hostNames {
                if case .rejected(let reason) = await PeerVerifier(peer: .server(host: name), authorities: agentCAs).verify(server) {
                    throw .badRequest("ssl.agent_certificate_authorities: agents would refuse the Fleet Server certificate (ssl.certificate): \(reason)")
                }
            }
        }
        if let agent, !clientCAs.isEmpty, case .rejected(let reason) = await PeerVerifier(peer: .client, authorities: clientCAs).verify(agent) {
            throw .badRequest("ssl.certificate_authorities: the Fleet Server would refuse the agent certificate (ssl.agent_certificate): \(reason)")
        }
    }

    func check(_ output: Output) async throws(ConsoleError) {
        try requireName(output.name)
        guard Output.types.contains(output.type) else {
            throw .badRequest("type: must be \(Output.types.joined(separator: ", ")), not \(output.type)")
        }
        if output.type == "file" {
            guard let path = output.path, path.hasPrefix("/") else {
                throw .badRequest("path: give the absolute directory the agents write their events to")
            }
            return
        }
        if output.type == "remote_elasticsearch", output.serviceToken == nil, output.apiKey == nil {
            throw .badRequest("service_token: a remote Elasticsearch output needs the remote cluster's service token (or an api_key)")
        }
        guard !output.hosts.isEmpty else { throw .badRequest("hosts: give at least one URL") }
        for (index, url) in output.hosts.enumerated() { _ = try checkURL(url, field: "hosts[\(index)]", schemes: ["https", "http"]) }
        try checkProxy(output.proxyId)
        if let pin = output.caSha256, Data(base64Encoded: pin)?.count != 32 {
            throw .badRequest("ca_sha256: must be the base64 SHA-256 of a CA's public key (flotilla certs inspect prints it)")
        }
        if let fingerprint = output.caTrustedFingerprint {
            let hex = fingerprint.replacingOccurrences(of: ":", with: "")
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw .badRequest("ca_trusted_fingerprint: must be the hex SHA-256 of a CA certificate (64 hex digits)")
            }
        }
        if let apiKey = output.apiKey, !apiKey.contains(":"), Data(base64Encoded: apiKey) == nil {
            throw .badRequest("api_key: must be id:key or its base64 form")
        }
        guard let ssl = output.ssl else { return }
        if let mode = ssl.verificationMode, TLSSettings.VerificationMode(rawValue: mode) == nil {
            throw .badRequest("ssl.verification_mode: must be full, certificate or none, not \(mode)")
        }
        _ = try authorities(ssl.certificateAuthorities, field: "ssl.certificate_authorities", label: "Server SSL certificate authorities")
        _ = try identity(ssl.certificate, key: ssl.key, field: "ssl.certificate", keyField: "ssl.key", label: "Client SSL certificate")
    }

    func check(_ proxy: FleetProxy) throws(ConsoleError) {
        try requireName(proxy.name)
        _ = try checkURL(proxy.url, field: "url", schemes: ["http", "https", "socks5", "socks5h"])
        do {
            try HTTPHeaderCheck.validate(proxy.proxyHeaders ?? [:], field: "proxy_headers")
        } catch {
            throw .badRequest("proxy_headers: \(error.description)")
        }
        _ = try authorities(proxy.certificateAuthorities.map { [$0] }, field: "certificate_authorities", label: "proxy CA")
        _ = try identity(proxy.certificate, key: proxy.certificateKey, field: "certificate", keyField: "certificate_key", label: "proxy client certificate")
    }

    func requireName(_ name: String) throws(ConsoleError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .badRequest("name: must not be empty") }
    }

    func checkProxy(_ id: String?) throws(ConsoleError) {
        if let id, !proxies.contains(where: { $0.id == id }) { throw .badRequest("proxy_id: there is no proxy \(id)") }
    }

    /// The URL's host name, after checking it is an absolute URL with one of `schemes`.
    func checkURL(_ text: String, field: String, schemes: [String]) throws(ConsoleError) -> String {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw .badRequest("\(field): \(text.debugDescription) is not a URL; write it like https://fleet.example.com:8220")
        }
        guard schemes.contains(scheme) else {
            throw .badRequest("\(field): \(text) must start with \(schemes.map { $0 + "://" }.joined(separator: " or "))")
        }
        return host
    }

    func authorities(_ sources: [String]?, field: String, label: String) throws(ConsoleError) -> [Certificate] {
        guard let sources, !sources.isEmpty else { return [] }
        do {
            return try CertificateFiles.loadAuthorities(sources, role: "\(label) (\(field))")
        } catch {
            throw .field(field, error)
        }
    }

    /// The certificate's chain after checking its key matches; nil when neither is set. An encrypted key is checked
    /// on the host that has its passphrase, not here.
    func identity(_ certificate: String?, key: String?, field: String, keyField: String, label: String) throws(ConsoleError) -> [Certificate]? {
        guard let certificate else {
            if key != nil { throw .badRequest("\(keyField): a key needs its certificate in \(field)") }
            return nil
        }
        let chain: [Certificate]
        do {
            chain = try CertificateFiles.loadChain(certificate, role: "\(label) (\(field))")
        } catch {
            throw .field(field, error)
        }
        guard let key else { return chain }
        if Self.isEncrypted(key) { return chain }
        do {
            _ = try TLSIdentity.load(certificate: certificate, key: key, passphrasePath: nil, role: "\(label) (\(field))")
        } catch {
            throw .field(keyField, error)
        }
        return chain
    }

    static func isEncrypted(_ key: String) -> Bool {
        let text = key.contains("-----BEGIN ") ? key : (try? String(contentsOfFile: key, encoding: .utf8)) ?? ""
        return text.contains("ENCRYPTED")
    }
}
