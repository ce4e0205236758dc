import FleetProtocol
import FleetTLS

/// A proxy as a policy gives it, for Fleet (`fleet.proxy_url`) or an output (`outputs.<id>.proxy_url`): the URL, the
/// headers sent to the proxy only, and the proxy's own TLS (`proxy_ssl`), which never replaces the link's TLS.
public struct ProxySettings: Codable, Sendable, Equatable {
    public var url: String
    public var headers: [String: String]
    public var tls: TLSSettings?

    public init(url: String, headers: [String: String] = [:], tls: TLSSettings? = nil) {
        self.url = url
        self.headers = headers
        self.tls = tls
    }

    enum CodingKeys: String, CodingKey {
        case url, headers, tls = "ssl"
    }

    /// Reads `proxy_url`, `proxy_headers` and `proxy_ssl` of a policy section; `nil` when it names no proxy.
    /// - Parameter field: the section's name ("fleet", "outputs.default"), for sentences.
    public init?(section: JSONValue?, field: String) throws(FlotillaError) {
        guard let url = section?["proxy_url"]?.stringValue, !url.isEmpty else { return nil }
        self.url = url
        headers = section?["proxy_headers"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        try HTTPHeaderCheck.validate(headers, field: "\(field).proxy_headers")
        if let ssl = section?["proxy_ssl"], ssl.objectValue?.isEmpty == false {
            do { tls = try ssl.decode(TLSSettings.self) } catch {
                throw FlotillaError("The proxy's TLS settings in \(field).proxy_ssl are not valid: \(error)", hint: "check its certificate_authorities, certificate and key")
            }
        } else {
            tls = nil
        }
        _ = try resolve(field: field)
    }

    /// The proxy to dial, with its TLS loaded and checked.
    public func resolve(field: String) throws(FlotillaError) -> ForwardProxy {
        try ForwardProxy(url: url, headers: headers, tls: tls, field: "\(field).proxy_url", tlsField: "\(field).proxy_ssl")
    }

    /// The same settings with header values and the URL's password hidden, for `flotilla inspect`.
    public var redacted: ProxySettings {
        ProxySettings(url: ForwardProxy.redacted(url), headers: headers.mapValues { _ in "<redacted>" }, tls: tls)
    }
}
