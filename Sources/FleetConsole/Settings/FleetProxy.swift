/// A proxy agents go through to reach Fleet Server or an output (Kibana's `proxies`).
public struct FleetProxy: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var url: String
    /// Sent to the proxy only (credentials, say), never to Fleet Server.
    public var proxyHeaders: [String: String]?
    /// CAs that check the proxy's own certificate, for an `https://` proxy.
    public var certificateAuthorities: String?
    /// The certificate presented to a proxy that asks for one.
    public var certificate: String?
    public var certificateKey: String?

    enum CodingKeys: String, CodingKey {
        case id, name, url, proxyHeaders = "proxy_headers", certificateAuthorities = "certificate_authorities"
        case certificate, certificateKey = "certificate_key"
    }

    public init(
        id: String, name: String, url: String, proxyHeaders: [String: String]? = nil, certificateAuthorities: String? = nil,
        certificate: String? = nil, certificateKey: String? = nil
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.proxyHeaders = proxyHeaders
        self.certificateAuthorities = certificateAuthorities
        self.certificate = certificate
        self.certificateKey = certificateKey
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decodeIfPresent(String.self, forKey: .id) ?? "", name: try c.decode(String.self, forKey: .name),
            url: try c.decode(String.self, forKey: .url), proxyHeaders: try c.decodeIfPresent([String: String].self, forKey: .proxyHeaders),
            certificateAuthorities: try c.decodeIfPresent(String.self, forKey: .certificateAuthorities),
            certificate: try c.decodeIfPresent(String.self, forKey: .certificate),
            certificateKey: try c.decodeIfPresent(String.self, forKey: .certificateKey)
        )
    }

    static let secretPaths = [["certificate_key"]]
}
