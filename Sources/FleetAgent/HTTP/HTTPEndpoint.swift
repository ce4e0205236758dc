import FleetTLS
import Foundation

/// A server URL taken apart: `https://fleet.example.com:8220/base`.
public struct HTTPEndpoint: Sendable, Equatable {
    public let secure: Bool
    public let host: String
    public let port: Int
    /// The URL's path without a trailing slash; requests' paths are appended to it.
    public let basePath: String

    /// - Parameters:
    ///   - url: the URL as the user or the policy wrote it.
    ///   - field: how the user names where it came from ("--url", "outputs.default.hosts"), for the sentence.
    ///   - allowPlain: whether `http://` is accepted (outputs) or refused (Fleet Server is reached over TLS only).
    public init(url: String, field: String = "the Fleet Server URL", allowPlain: Bool = false) throws(FlotillaError) {
        // Elasticsearch hosts are often written without a scheme ("es.example.com:9200"), meaning https here.
        let written = url.contains("://") ? url : "https://\(url)"
        guard let components = URLComponents(string: written), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw FlotillaError("\(url) in \(field) is not a URL", hint: "write it like https://host.example.com:8220")
        }
        guard scheme == "https" || (allowPlain && scheme == "http") else {
            throw FlotillaError("\(url) in \(field) is not an https:// URL", hint: "it is reached over TLS; use https://")
        }
        self.secure = scheme == "https"
        self.host = host
        self.port = components.port ?? (secure ? 443 : 80)
        self.basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
    }
}
