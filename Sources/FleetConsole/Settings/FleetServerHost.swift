/// A Fleet Server host: the URLs agents reach Fleet Server at, and the TLS of each link around it
/// (Kibana's `fleet_server_hosts`, with the seed's SSL fields).
public struct FleetServerHost: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var hostURLs: [String]
    public var isDefault: Bool
    public var proxyId: String?
    public var ssl: SSL?

    /// Each value is a path on the host that uses it, or inline PEM.
    public struct SSL: Codable, Sendable, Equatable {
        /// CAs the Fleet Server checks agents' certificates with (`--certificate-authorities`, server side).
        public var certificateAuthorities: [String]?
        /// The certificate the Fleet Server presents to agents (`--fleet-server-cert`).
        public var certificate: String?
        /// Its key (`--fleet-server-cert-key`).
        public var key: String?
        /// none, optional or required (`--fleet-server-client-auth`).
        public var clientAuth: String?
        /// CAs the Fleet Server checks the store's certificate with (`--fleet-server-es-ca`).
        public var esCertificateAuthorities: [String]?
        /// The Fleet Server's certificate towards the store (`--fleet-server-es-cert`).
        public var esCertificate: String?
        /// Its key (`--fleet-server-es-cert-key`).
        public var esKey: String?
        /// CAs agents check the Fleet Server's certificate with (`--certificate-authorities`, agent side).
        public var agentCertificateAuthorities: [String]?
        /// The certificate agents present to the Fleet Server (`--elastic-agent-cert`).
        public var agentCertificate: String?
        /// Its key (`--elastic-agent-cert-key`).
        public var agentKey: String?

        enum CodingKeys: String, CodingKey {
            case certificateAuthorities = "certificate_authorities", certificate, key, clientAuth = "client_auth"
            case esCertificateAuthorities = "es_certificate_authorities", esCertificate = "es_certificate", esKey = "es_key"
            case agentCertificateAuthorities = "agent_certificate_authorities", agentCertificate = "agent_certificate"
            case agentKey = "agent_key"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, hostURLs = "host_urls", isDefault = "is_default", proxyId = "proxy_id", ssl
    }

    public init(id: String, name: String, hostURLs: [String], isDefault: Bool = false, proxyId: String? = nil, ssl: SSL? = nil) {
        self.id = id
        self.name = name
        self.hostURLs = hostURLs
        self.isDefault = isDefault
        self.proxyId = proxyId
        self.ssl = ssl
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decodeIfPresent(String.self, forKey: .id) ?? "", name: try c.decode(String.self, forKey: .name),
            hostURLs: try c.decode([String].self, forKey: .hostURLs), isDefault: try c.decodeIfPresent(Bool.self, forKey: .isDefault) ?? false,
            proxyId: try c.decodeIfPresent(String.self, forKey: .proxyId), ssl: try c.decodeIfPresent(SSL.self, forKey: .ssl)
        )
    }

    /// The key fields that may hold inline PEM, which the store keeps sealed.
    static let secretPaths = [["ssl", "key"], ["ssl", "es_key"], ["ssl", "agent_key"]]
}
