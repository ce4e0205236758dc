import FleetTLS
import Foundation

/// A Fleet Server URL taken apart: `https://fleet.example.com:8220/base`.
public struct FleetEndpoint: Sendable, Equatable {
    public let host: String
    public let port: Int
    public let basePath: String

    public init(url: String) throws(FlotillaError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty else {
            throw FlotillaError("\(url) is not a URL", hint: "give the Fleet Server URL, like https://fleet.example.com:8220")
        }
        guard scheme == "https" else {
            throw FlotillaError("\(url) is not an https:// URL", hint: "Fleet Server is reached over TLS; use https://")
        }
        self.host = host
        self.port = components.port ?? 443
        self.basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
    }
}

/// How the agent reaches Fleet Server, TLS aside: headers sent with every request, a proxy, and for a Fleet Server
/// running in this process, the loopback port to dial.
public struct FleetConnectionOptions: Codable, Sendable, Equatable {
    /// `--header`: added to every request to Fleet Server.
    public var headers: [String: String]
    /// `--proxy-url`; without it, `HTTPS_PROXY` from the environment (unless `NO_PROXY` lists the host).
    public var proxyURL: String?
    /// `--proxy-header`: sent to the proxy with CONNECT.
    public var proxyHeaders: [String: String]
    /// `--proxy-disabled`: connect directly, whatever the environment says.
    public var proxyDisabled: Bool
    /// Dial 127.0.0.1 on this port while verifying the URL's host name: the Fleet Server runs in this process and
    /// its certificate may name only its public host.
    public var localFleetServerPort: Int?

    public init(headers: [String: String] = [:], proxyURL: String? = nil, proxyHeaders: [String: String] = [:], proxyDisabled: Bool = false, localFleetServerPort: Int? = nil) {
        self.headers = headers
        self.proxyURL = proxyURL
        self.proxyHeaders = proxyHeaders
        self.proxyDisabled = proxyDisabled
        self.localFleetServerPort = localFleetServerPort
    }

    enum CodingKeys: String, CodingKey {
        case headers, proxyURL = "proxy_url", proxyHeaders = "proxy_headers", proxyDisabled = "proxy_disabled"
        case localFleetServerPort = "local_fleet_server_port"
    }

    /// The proxy to tunnel through towards `host`, if any. A local Fleet Server is never reached through one.
    public func proxy(for host: String) throws(FlotillaError) -> HTTPProxy? {
        if proxyDisabled || localFleetServerPort != nil { return nil }
        if let proxyURL { return try HTTPProxy(url: proxyURL, headers: proxyHeaders) }
        return try HTTPProxy.fromEnvironment(for: host)
    }

    /// The same options with header values and proxy credentials hidden, for `flotilla inspect`.
    public var redacted: FleetConnectionOptions {
        var copy = self
        copy.headers = headers.mapValues { _ in "<redacted>" }
        copy.proxyHeaders = proxyHeaders.mapValues { _ in "<redacted>" }
        copy.proxyURL = proxyURL.map(HTTPProxy.redacted)
        return copy
    }
}

/// Requests to one Fleet Server over Flotilla's TLS client, with answers decoded or turned into sentences.
public struct FleetConnection: Sendable {
    public let endpoint: FleetEndpoint
    public let tls: TLSClientContext
    public let options: FleetConnectionOptions
    let proxy: HTTPProxy?

    public init(url: String, tls: TLSSettings, options: FleetConnectionOptions = FleetConnectionOptions()) throws(FlotillaError) {
        self.endpoint = try FleetEndpoint(url: url)
        self.tls = try TLSClientContext(settings: tls, role: "Fleet Server")
        self.options = options
        self.proxy = try options.proxy(for: endpoint.host)
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]

        /// The contract's error message, when the body is one.
        public var message: String {
            (try? JSONDecoder().decode([String: JSONScalarText].self, from: body))?["message"]?.text ?? String(decoding: body, as: UTF8.self)
        }
    }

    public func send(_ method: String, _ path: String, body: Data? = nil, authorization: String? = nil, timeout: Double = 60) async throws(FlotillaError) -> Answer {
        var headers = options.headers
        headers["User-Agent"] = "flotilla-agent"
        if let authorization { headers["Authorization"] = authorization }
        let local = options.localFleetServerPort
        let response = try await TLSProbe.send(
            method: method, host: endpoint.host, port: endpoint.port, path: endpoint.basePath + path, headers: headers,
            body: body.map { String(decoding: $0, as: UTF8.self) }, client: tls,
            connectHost: local == nil ? nil : "127.0.0.1", connectPort: local, proxy: proxy,
            timeout: .milliseconds(Int64(timeout * 1000))
        )
        return Answer(status: response.status, body: Data(response.body.utf8), headers: response.headers)
    }
}

/// A JSON value read only for its text, to pull `message` out of an error body.
public struct JSONScalarText: Decodable, Sendable {
    public let text: String

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) { text = string }
        else if let number = try? container.decode(Double.self) { text = String(number) }
        else { text = "" }
    }
}
