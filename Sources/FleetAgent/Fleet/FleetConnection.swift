import FleetTLS
import Foundation
import NIOCore
import NIOHTTP1

/// How the agent reaches Fleet Server, TLS aside: headers sent with every request, a proxy, and for a Fleet Server
/// running in this process, the loopback port to dial.
public struct FleetConnectionOptions: Codable, Sendable, Equatable {
    /// `--header`: added to every request to Fleet Server.
    public var headers: [String: String]
    /// `--proxy-url`; without it, `HTTPS_PROXY` from the environment (unless `NO_PROXY` lists the host).
    public var proxyURL: String?
    /// `--proxy-header`: sent to the proxy with CONNECT.
    public var proxyHeaders: [String: String]
    /// `--proxy-certificate-authorities`, `--proxy-certificate`, `--proxy-certificate-key`: the TLS of an
    /// `https://` proxy, which never replaces the TLS to Fleet Server.
    public var proxyTLS: TLSSettings?
    /// `--proxy-disabled`: connect directly, whatever the environment says.
    public var proxyDisabled: Bool
    /// The proxy the policy names (`fleet.proxy_url`, `proxy_headers`, `proxy_ssl`). It wins over the install's
    /// while the policy names it; when a later policy names none, the install's choice is back in force, so a proxy
    /// set through the console can be removed through it.
    public var policyProxy: ProxySettings?
    /// Dial 127.0.0.1 on this port while verifying the URL's host name: the Fleet Server runs in this process and
    /// its certificate may name only its public host.
    public var localFleetServerPort: Int?

    public init(
        headers: [String: String] = [:], proxyURL: String? = nil, proxyHeaders: [String: String] = [:],
        proxyTLS: TLSSettings? = nil, proxyDisabled: Bool = false, policyProxy: ProxySettings? = nil,
        localFleetServerPort: Int? = nil
    ) {
        self.headers = headers
        self.proxyURL = proxyURL
        self.proxyHeaders = proxyHeaders
        self.proxyTLS = proxyTLS
        self.proxyDisabled = proxyDisabled
        self.policyProxy = policyProxy
        self.localFleetServerPort = localFleetServerPort
    }

    enum CodingKeys: String, CodingKey {
        case headers, proxyURL = "proxy_url", proxyHeaders = "proxy_headers", proxyTLS = "proxy_ssl"
        case proxyDisabled = "proxy_disabled", policyProxy = "policy_proxy", localFleetServerPort = "local_fleet_server_port"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            headers: try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:],
            proxyURL: try c.decodeIfPresent(String.self, forKey: .proxyURL),
            proxyHeaders: try c.decodeIfPresent([String: String].self, forKey: .proxyHeaders) ?? [:],
            proxyTLS: try c.decodeIfPresent(TLSSettings.self, forKey: .proxyTLS),
            proxyDisabled: try c.decodeIfPresent(Bool.self, forKey: .proxyDisabled) ?? false,
            policyProxy: try c.decodeIfPresent(ProxySettings.self, forKey: .policyProxy),
            localFleetServerPort: try c.decodeIfPresent(Int.self, forKey: .localFleetServerPort)
        )
    }

    /// The proxy to tunnel through towards `host`, if any. A local Fleet Server is never reached through one.
    public func proxy(for host: String, port: Int = 443) throws(FlotillaError) -> ForwardProxy? {
        if localFleetServerPort != nil { return nil }
        if let policyProxy { return try policyProxy.resolve(field: "fleet") }
        if proxyDisabled { return nil }
        if let proxyURL { return try ForwardProxy(url: proxyURL, headers: proxyHeaders, tls: proxyTLS) }
        return try ForwardProxy.fromEnvironment(for: host, port: port)
    }

    /// The same options with header values and proxy credentials hidden, for `flotilla inspect`.
    public var redacted: FleetConnectionOptions {
        var copy = self
        copy.headers = headers.mapValues { _ in "<redacted>" }
        copy.proxyHeaders = proxyHeaders.mapValues { _ in "<redacted>" }
        copy.proxyURL = proxyURL.map(ForwardProxy.redacted)
        copy.policyProxy = policyProxy?.redacted
        return copy
    }
}

/// Requests to one Fleet Server over the agent's HTTP client, which keeps the connection alive between them.
public struct FleetConnection: Sendable {
    public let endpoint: HTTPEndpoint
    public let tls: TLSClientContext
    public let options: FleetConnectionOptions
    let client: HTTPClient

    public init(url: String, tls: TLSSettings, options: FleetConnectionOptions = FleetConnectionOptions()) throws(FlotillaError) {
        self.endpoint = try HTTPEndpoint(url: url)
        self.tls = try TLSClientContext(settings: tls, role: "Fleet Server")
        self.options = options
        let local = options.localFleetServerPort
        self.client = try HTTPClient(
            endpoint: endpoint, tls: self.tls, proxy: try options.proxy(for: endpoint.host, port: endpoint.port),
            dialHost: local == nil ? nil : "127.0.0.1", dialPort: local, headers: options.headers, role: "Fleet Server"
        )
    }

    public typealias Answer = HTTPResponse

    /// Sends a request with a JSON body to Fleet Server.
    /// - Parameter sink: where a 2xx answer's body goes instead of memory (a download).
    public func send(
        _ method: String, _ path: String, body: Data? = nil, authorization: String? = nil, timeout: Double = 60,
        sink: HTTPBodySink? = nil
    ) async throws(FlotillaError) -> Answer {
        var headers: [String: String] = [:]
        if let authorization { headers["Authorization"] = authorization }
        if body != nil { headers["Content-Type"] = "application/json" }
        return try await client.send(
            HTTPMethod(rawValue: method), path, body: body.map { ByteBuffer(bytes: $0) }, headers: headers, timeout: timeout,
            sink: sink
        )
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
