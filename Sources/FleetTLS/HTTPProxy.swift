import Foundation

/// An HTTP proxy that HTTPS requests tunnel through with `CONNECT host:port`, as `--proxy-url` and
/// `HTTPS_PROXY` name it. Credentials in the URL become a `Proxy-Authorization` header and are never shown.
public struct HTTPProxy: Sendable, Equatable {
    public let host: String
    public let port: Int
    /// Sent with CONNECT only, never to the server behind the proxy.
    public let headers: [String: String]

    /// "proxy.example.com:3128", for messages: never the credentials.
    public var display: String { "\(host):\(port)" }

    public init(url: String, headers: [String: String] = [:]) throws(FlotillaError) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw FlotillaError("The proxy URL \(Self.redacted(url)) is not a URL", hint: "write it like http://proxy.example.com:3128")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw FlotillaError("The proxy URL \(Self.redacted(url)) is not an http:// URL", hint: "Flotilla tunnels TLS through HTTP proxies with CONNECT; give http://host:port")
        }
        self.host = host
        self.port = components.port ?? 80
        var headers = headers
        if let user = components.percentEncodedUser {
            let password = components.percentEncodedPassword ?? ""
            let credentials = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
            headers["Proxy-Authorization"] = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
        self.headers = headers
    }

    /// The proxy the environment names for `host:port` (`HTTPS_PROXY`, unless `NO_PROXY` excludes it), as curl and
    /// Go programs read them.
    public static func fromEnvironment(
        for host: String, port: Int = 443, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(FlotillaError) -> HTTPProxy? {
        guard let url = environment["HTTPS_PROXY"] ?? environment["https_proxy"], !url.isEmpty else { return nil }
        let exclusions = NoProxyRules(environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
        if exclusions.excludes(host: host, port: port) { return nil }
        return try HTTPProxy(url: url)
    }

    /// A proxy URL with its password hidden, for the one message that must name the URL.
    public static func redacted(_ url: String) -> String { redactedURL(url) }
}

extension String {
    func trimmingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
