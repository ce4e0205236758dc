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

/// Requests to one Fleet Server over Flotilla's TLS client, with answers decoded or turned into sentences.
public struct FleetConnection: Sendable {
    public let endpoint: FleetEndpoint
    public let tls: TLSClientContext
    /// Dial this address instead of the URL's host while still verifying the URL's host name (a local Fleet Server
    /// whose certificate names only its public name).
    public let connectHost: String?

    public init(url: String, tls: TLSSettings, connectHost: String? = nil) throws(FlotillaError) {
        self.endpoint = try FleetEndpoint(url: url)
        self.tls = try TLSClientContext(settings: tls, role: "Fleet Server")
        self.connectHost = connectHost
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
        var headers: [String: String] = ["User-Agent": "flotilla-agent"]
        if let authorization { headers["Authorization"] = authorization }
        let response = try await TLSProbe.send(
            method: method, host: endpoint.host, port: endpoint.port, path: endpoint.basePath + path, headers: headers,
            body: body.map { String(decoding: $0, as: UTF8.self) }, client: tls, connectHost: connectHost,
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
