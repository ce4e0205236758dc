/// Where agents send their data, and the TLS they use on the way (Kibana's `outputs`).
public struct Output: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `elasticsearch`, `remote_elasticsearch` (another cluster, with a service token), or `file` (NDJSON files in a
    /// directory on each agent's host, for trying Flotilla without an Elasticsearch).
    public var type: String
    public var hosts: [String]
    public var isDefault: Bool
    public var isDefaultMonitoring: Bool
    /// Base64 SHA-256 pin of a CA's public key, which agents trust besides the CAs.
    public var caSha256: String?
    /// Hex SHA-256 of a CA certificate in the output's chain, trusted even when it is not among the CAs.
    public var caTrustedFingerprint: String?
    public var proxyId: String?
    public var ssl: SSL?
    /// The output's API key (`id:key`), which agents send as `Authorization: ApiKey`; kept sealed.
    public var apiKey: String?
    /// A remote cluster's service token, sent as a bearer token; kept sealed.
    public var serviceToken: String?
    /// The `file` output's directory on the agents' hosts.
    public var path: String?

    public struct SSL: Codable, Sendable, Equatable {
        /// CAs the agent checks the output's certificate with.
        public var certificateAuthorities: [String]?
        /// The certificate the agent presents to the output under mutual TLS.
        public var certificate: String?
        /// Its key.
        public var key: String?
        /// full, certificate or none.
        public var verificationMode: String?

        enum CodingKeys: String, CodingKey {
            case certificateAuthorities = "certificate_authorities", certificate, key, verificationMode = "verification_mode"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, hosts, isDefault = "is_default", isDefaultMonitoring = "is_default_monitoring"
        case caSha256 = "ca_sha256", caTrustedFingerprint = "ca_trusted_fingerprint", proxyId = "proxy_id", ssl
        case apiKey = "api_key", serviceToken = "service_token", path
    }

    public init(
        id: String, name: String, type: String = "elasticsearch", hosts: [String], isDefault: Bool = false,
        isDefaultMonitoring: Bool = false, caSha256: String? = nil, caTrustedFingerprint: String? = nil, proxyId: String? = nil,
        ssl: SSL? = nil, apiKey: String? = nil, serviceToken: String? = nil, path: String? = nil
    ) {
        self.serviceToken = serviceToken
        self.path = path
        self.id = id
        self.name = name
        self.type = type
        self.hosts = hosts
        self.isDefault = isDefault
        self.isDefaultMonitoring = isDefaultMonitoring
        self.caSha256 = caSha256
        self.caTrustedFingerprint = caTrustedFingerprint
        self.proxyId = proxyId
        self.ssl = ssl
        self.apiKey = apiKey
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decodeIfPresent(String.self, forKey: .id) ?? "", name: try c.decode(String.self, forKey: .name),
            type: try c.decodeIfPresent(String.self, forKey: .type) ?? "elasticsearch",
            hosts: try c.decodeIfPresent([String].self, forKey: .hosts) ?? [],
            isDefault: try c.decodeIfPresent(Bool.self, forKey: .isDefault) ?? false,
            isDefaultMonitoring: try c.decodeIfPresent(Bool.self, forKey: .isDefaultMonitoring) ?? false,
            caSha256: try c.decodeIfPresent(String.self, forKey: .caSha256),
            caTrustedFingerprint: try c.decodeIfPresent(String.self, forKey: .caTrustedFingerprint),
            proxyId: try c.decodeIfPresent(String.self, forKey: .proxyId), ssl: try c.decodeIfPresent(SSL.self, forKey: .ssl),
            apiKey: try c.decodeIfPresent(String.self, forKey: .apiKey),
            serviceToken: try c.decodeIfPresent(String.self, forKey: .serviceToken),
            path: try c.decodeIfPresent(String.self, forKey: .path)
        )
    }

    static let secretPaths = [["ssl", "key"], ["api_key"], ["service_token"]]

    /// The output types the agents ship to.
    public static let types = ["elasticsearch", "remote_elasticsearch", "file"]
}
