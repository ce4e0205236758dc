import Foundation

/// A forward proxy that the agent's connections tunnel through: `http://` and `https://` proxies with
/// `CONNECT host:port` (TLS to an `https://` proxy first, with the proxy's own TLS settings), and `socks5://`
/// proxies. The link's own TLS runs inside the tunnel, so the proxy never sees the agent's traffic.
///
/// Credentials in the URL become a `Proxy-Authorization` header and are never shown; a SOCKS5 proxy takes its user
/// and password from that same header, so every way of giving them works for every kind of proxy.
public struct ForwardProxy: Sendable, Equatable {
    /// How the agent talks to the proxy.
    public enum Kind: String, Sendable, Equatable {
        case http, https, socks5
    }

    public let kind: Kind
    public let host: String
    public let port: Int
    /// Sent with CONNECT only, never to the server behind the proxy.
    public let headers: [String: String]
    /// The proxy's own TLS settings (`proxy_ssl`); they never replace the TLS of the link the proxy carries.
    public let tlsSettings: TLSSettings?
    /// The proxy's TLS context, for `https://` proxies.
    public let tls: TLSClientContext?

    /// "https://proxy.example.com:3128", for messages: never the credentials.
    public var display: String { "\(kind.rawValue)://\(host):\(port)" }

    /// - Parameters:
    ///   - url: `http://`, `https://`, `socks5://` or `socks5h://` (both resolve names at the proxy, as Go does).
    ///   - headers: `proxy_headers`; `Proxy-Authorization: Basic` also carries a SOCKS5 user and password.
    ///   - tls: the proxy's TLS (`proxy_ssl`), used for an `https://` proxy.
    ///   - field: where the URL came from ("--proxy-url", "fleet.proxy_url"), for sentences.
    ///   - tlsField: where the proxy's TLS settings came from, for hints.
    public init(
        url: String, headers: [String: String] = [:], tls: TLSSettings? = nil, field: String = "--proxy-url",
        tlsField: String = "--proxy-certificate-authorities"
    ) throws(FlotillaError) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw FlotillaError("The proxy URL \(Self.redacted(url)) in \(field) is not a URL", hint: "write it like http://proxy.example.com:3128")
        }
        switch components.scheme?.lowercased() {
        case "http": kind = .http
        case "https": kind = .https
        case "socks5", "socks5h": kind = .socks5
        default:
            throw FlotillaError(
                "The proxy URL \(Self.redacted(url)) in \(field) is not an http://, https:// or socks5:// URL",
                hint: "give the proxy as http://host:port, https://host:port or socks5://host:port"
            )
        }
        self.host = host
        self.port = components.port ?? [.http: 80, .https: 443, .socks5: 1080][kind]!
        var headers = headers
        if let user = components.percentEncodedUser {
            let password = components.percentEncodedPassword ?? ""
            let credentials = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
            headers["Proxy-Authorization"] = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
        self.headers = headers
        self.tlsSettings = kind == .https ? tls ?? TLSSettings() : nil
        if let tlsSettings {
            let fields = field.hasPrefix("--") ? TLSFieldNames(
                certificateAuthorities: "--proxy-certificate-authorities", certificate: "--proxy-certificate",
                key: "--proxy-certificate-key", keyPassphrase: nil
            ) : TLSFieldNames(prefix: tlsField)
            self.tls = try TLSClientContext(settings: tlsSettings, role: "proxy at \(host):\(self.port)", fields: fields)
        } else {
            self.tls = nil
        }
        if kind == .socks5, headers["Proxy-Authorization"] != nil, socksCredentials == nil {
            throw FlotillaError(
                "The Proxy-Authorization header for the SOCKS5 proxy \(host):\(self.port) is not Basic credentials",
                hint: "give the user and password as Proxy-Authorization: Basic base64(user:password), or in the URL"
            )
        }
    }

    /// The user and password a SOCKS5 proxy is given (RFC 1929), from `Proxy-Authorization: Basic`.
    public var socksCredentials: (user: String, password: String)? {
        guard let value = headers.first(where: { $0.key.lowercased() == "proxy-authorization" })?.value else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let data = Data(base64Encoded: String(parts[1])),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    public static func == (lhs: ForwardProxy, rhs: ForwardProxy) -> Bool {
        lhs.kind == rhs.kind && lhs.host == rhs.host && lhs.port == rhs.port && lhs.headers == rhs.headers
            && lhs.tlsSettings == rhs.tlsSettings
    }

    /// The proxy the environment names for `host:port` (`HTTPS_PROXY`, else `ALL_PROXY`, unless `NO_PROXY`
    /// excludes it), as curl and Go programs read them.
    public static func fromEnvironment(
        for host: String, port: Int = 443, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(FlotillaError) -> ForwardProxy? {
        guard let url = environmentURL(environment) else { return nil }
        let exclusions = NoProxyRules(environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
        if exclusions.excludes(host: host, port: port) { return nil }
        return try ForwardProxy(url: url, field: "HTTPS_PROXY")
    }

    /// The proxy URL the environment gives, if any.
    public static func environmentURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            if let url = environment[name], !url.isEmpty { return url }
        }
        return nil
    }

    /// A proxy URL with its password hidden, for the one message that must name the URL.
    public static func redacted(_ url: String) -> String { redactedURL(url) }
}

extension String {
    func trimmingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
