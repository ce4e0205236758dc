import FleetTLS
import Foundation
import HTTPTypes

/// Everything a Fleet Server runs with, from its YAML file and flags (flags win).
public struct FleetServerConfiguration: Sendable, Codable, Equatable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8220
    /// The server's TLS: certificate, key, key passphrase, client CAs and client_auth.
    public var tls: TLSSettings = TLSSettings()
    /// Plain HTTP, only when asked for explicitly; a warning is logged.
    public var insecureHTTP: Bool = false
    /// Where the embedded store and other state live.
    public var dataDirectory: String = "./flotilla-data"
    /// The store: an SQLite path or `sqlite:` URL (default: `fleet.sqlite` in the data directory), or a
    /// `postgres://user@host:port/database` URL.
    public var store: String?
    /// TLS towards a networked store (`--fleet-server-es-ca`, `-es-cert`, ...): the server's CA, a pin, or the
    /// client certificate the Fleet Server presents. An SQLite file has no use for it.
    public var storeTLS: TLSSettings?
    /// A file holding the store password (PostgreSQL with password authentication); else `PGPASSWORD`.
    public var storePasswordFile: String?
    /// The service token the Fleet Server presents to the store.
    public var serviceToken: String?
    /// The Fleet Server policy this server serves under.
    public var policyId: String?
    /// The URLs agents use to reach Fleet Server, pushed in policies as `fleet.hosts`.
    public var publicURLs: [String] = []
    /// Longest a check-in waits (less jitter) when the agent does not say.
    public var pollTimeoutSeconds: Double = 300
    /// Shortest a check-in waits when the agent's `poll_timeout` is short.
    public var minimumPollTimeoutSeconds: Double = 60
    /// Up to this much is taken off each poll timeout at random, so agents do not check in in step.
    public var pollJitterSeconds: Double = 30
    public var checkinFlushSeconds: Double = 2
    /// How often the store is asked whether this server's service token still stands.
    public var serviceTokenCheckSeconds: Double = 30
    public var enrollRate: Double = 50
    public var enrollBurst: Int = 100
    public var checkinRate: Double = 5000
    public var checkinBurst: Int = 10000
    /// Agent API requests doing work at once (not counting waiting check-ins); more are answered 503 with
    /// Retry-After.
    public var maxActiveRequests: Int = 512
    /// Where Prometheus scrapes `/metrics` (plain HTTP on its own listener); nil, the default, serves none.
    public var metricsPort: Int?
    public var metricsHost: String = "127.0.0.1"
    /// Reverse proxies (nginx, a TLS load balancer) that terminate the agents' mutual TLS and pass each agent's
    /// certificate in `clientCertificateHeader`: IP addresses or CIDR ranges. Empty: the header is never believed.
    public var trustedProxies: [String] = []
    /// The header a trusted proxy passes the agent's certificate in, URL-escaped PEM (nginx's
    /// `$ssl_client_escaped_cert`).
    public var clientCertificateHeader: String = "X-SSL-Client-Cert"
    /// The agent CA this server issues agents' client certificates with, and how; nil issues none.
    public var agentCertificates: AgentCertificateSettings?
    /// The certificate (and key) from the new Fleet Server CA, presented once the store's Fleet Server CA rotation
    /// reaches its second phase (`--fleet-server-next-cert`, `--fleet-server-next-cert-key`).
    public var nextCertificate: String?
    public var nextKey: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case host, port, tls, store, storeTLS = "store_tls", storePasswordFile = "store_password_file", policyId = "policy_id"
        case insecureHTTP = "insecure_http", dataDirectory = "data_directory", serviceToken = "service_token"
        case publicURLs = "public_urls", pollTimeoutSeconds = "poll_timeout_seconds"
        case minimumPollTimeoutSeconds = "minimum_poll_timeout_seconds", pollJitterSeconds = "poll_jitter_seconds"
        case checkinFlushSeconds = "checkin_flush_seconds", serviceTokenCheckSeconds = "service_token_check_seconds", enrollRate = "enroll_rate", enrollBurst = "enroll_burst"
        case checkinRate = "checkin_rate", checkinBurst = "checkin_burst", maxActiveRequests = "max_active_requests"
        case metricsPort = "metrics_port", metricsHost = "metrics_host"
        case trustedProxies = "trusted_proxies", clientCertificateHeader = "client_certificate_header"
        case agentCertificates = "agent_certificates", nextCertificate = "next_certificate", nextKey = "next_key"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = FleetServerConfiguration()
        d.host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        d.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        d.tls = try c.decodeIfPresent(TLSSettings.self, forKey: .tls) ?? d.tls
        d.insecureHTTP = try c.decodeIfPresent(Bool.self, forKey: .insecureHTTP) ?? d.insecureHTTP
        d.dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory) ?? d.dataDirectory
        d.store = try c.decodeIfPresent(String.self, forKey: .store)
        d.storeTLS = try c.decodeIfPresent(TLSSettings.self, forKey: .storeTLS)
        d.storePasswordFile = try c.decodeIfPresent(String.self, forKey: .storePasswordFile)
        d.serviceToken = try c.decodeIfPresent(String.self, forKey: .serviceToken)
        d.policyId = try c.decodeIfPresent(String.self, forKey: .policyId)
        d.publicURLs = try c.decodeIfPresent([String].self, forKey: .publicURLs) ?? []
        d.pollTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .pollTimeoutSeconds) ?? d.pollTimeoutSeconds
        d.minimumPollTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .minimumPollTimeoutSeconds) ?? d.minimumPollTimeoutSeconds
        d.pollJitterSeconds = try c.decodeIfPresent(Double.self, forKey: .pollJitterSeconds) ?? d.pollJitterSeconds
        d.checkinFlushSeconds = try c.decodeIfPresent(Double.self, forKey: .checkinFlushSeconds) ?? d.checkinFlushSeconds
        d.serviceTokenCheckSeconds = try c.decodeIfPresent(Double.self, forKey: .serviceTokenCheckSeconds) ?? d.serviceTokenCheckSeconds
        d.enrollRate = try c.decodeIfPresent(Double.self, forKey: .enrollRate) ?? d.enrollRate
        d.enrollBurst = try c.decodeIfPresent(Int.self, forKey: .enrollBurst) ?? d.enrollBurst
        d.checkinRate = try c.decodeIfPresent(Double.self, forKey: .checkinRate) ?? d.checkinRate
        d.checkinBurst = try c.decodeIfPresent(Int.self, forKey: .checkinBurst) ?? d.checkinBurst
        d.maxActiveRequests = try c.decodeIfPresent(Int.self, forKey: .maxActiveRequests) ?? d.maxActiveRequests
        d.metricsPort = try c.decodeIfPresent(Int.self, forKey: .metricsPort)
        d.metricsHost = try c.decodeIfPresent(String.self, forKey: .metricsHost) ?? d.metricsHost
        d.trustedProxies = try c.decodeIfPresent([String].self, forKey: .trustedProxies) ?? []
        d.clientCertificateHeader = try c.decodeIfPresent(String.self, forKey: .clientCertificateHeader) ?? d.clientCertificateHeader
        d.agentCertificates = try c.decodeIfPresent(AgentCertificateSettings.self, forKey: .agentCertificates)
        d.nextCertificate = try c.decodeIfPresent(String.self, forKey: .nextCertificate)
        d.nextKey = try c.decodeIfPresent(String.self, forKey: .nextKey)
        self = d
    }

    /// `trustedProxies`, read; a bad entry is named.
    public func trustedProxyRanges() throws(FlotillaError) -> AddressRanges {
        try AddressRanges(trustedProxies, field: "trusted_proxies (--trusted-proxy)")
    }

    /// `clientCertificateHeader` as a header name, or a sentence saying why it is none.
    public func clientCertificateHeaderName() throws(FlotillaError) -> HTTPField.Name {
        guard let name = HTTPField.Name(clientCertificateHeader) else {
            throw FlotillaError("\(clientCertificateHeader.debugDescription) in client_certificate_header (--client-certificate-header) is not a header name", hint: "use letters, digits and dashes, like X-SSL-Client-Cert")
        }
        return name
    }

    /// Refuses a store this Fleet Server cannot use, naming what it can.
    public static func checkStore(_ store: String) throws(FlotillaError) {
        let lowered = store.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            throw FlotillaError("--fleet-server-es=\(redactedURL(store)) is an Elasticsearch URL, which Flotilla does not use", hint: "give an SQLite path (or sqlite:PATH) made by flotilla server init, or a postgres://user@host:port/database URL")
        }
    }

    /// Where the agent binaries handed out for upgrades are kept, under their SHA-256: `artifacts` in the data
    /// directory. Fleet Servers sharing a PostgreSQL store each need the files (a shared directory, or `artifacts
    /// add` run on each).
    public var artifactsDirectory: String {
        (dataDirectory as NSString).appendingPathComponent("artifacts")
    }

    /// The SQLite file the store lives in.
    public var storePath: String {
        guard let store else { return (dataDirectory as NSString).appendingPathComponent("fleet.sqlite") }
        if store.hasPrefix("sqlite://") { return String(store.dropFirst("sqlite://".count)) }
        if store.hasPrefix("sqlite:") { return String(store.dropFirst("sqlite:".count)) }
        return store
    }

    /// How long one check-in may wait: the agent's `poll_timeout` less two minutes (never under the minimum), else
    /// the configured timeout; then a random jitter off it.
    public func pollTimeout(agentPollTimeout: Double?) -> Double {
        let base = agentPollTimeout.map { max(minimumPollTimeoutSeconds, $0 - 120) } ?? pollTimeoutSeconds
        let limited = min(base, max(pollTimeoutSeconds, minimumPollTimeoutSeconds))
        let jitter = min(pollJitterSeconds, limited / 10)
        return limited - (jitter > 0 ? Double.random(in: 0..<jitter) : 0)
    }
}
