import FleetTLS

/// What a console runs with, from flags or YAML.
public struct ConsoleConfiguration: Sendable, Codable, Equatable {
    public var host: String = "127.0.0.1"
    public var port: Int = 5601
    /// The listener's certificate and key; the console serves HTTPS only, unless `insecureHTTP`.
    public var tls: TLSSettings = TLSSettings()
    /// Plain HTTP, only when asked for explicitly; a warning is logged.
    public var insecureHTTP: Bool = false
    /// The file with the key that seals stored secrets; made (0600) when missing.
    public var secretsKeyPath: String = "./console-secrets.key"
    /// How long a UI session lasts without use, in seconds.
    public var sessionSeconds: Double = 8 * 3600

    public init() {}

    enum CodingKeys: String, CodingKey {
        case host, port, tls, insecureHTTP = "insecure_http", secretsKeyPath = "secrets_key_path", sessionSeconds = "session_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = ConsoleConfiguration()
        d.host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        d.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        d.tls = try c.decodeIfPresent(TLSSettings.self, forKey: .tls) ?? d.tls
        d.insecureHTTP = try c.decodeIfPresent(Bool.self, forKey: .insecureHTTP) ?? d.insecureHTTP
        d.secretsKeyPath = try c.decodeIfPresent(String.self, forKey: .secretsKeyPath) ?? d.secretsKeyPath
        d.sessionSeconds = try c.decodeIfPresent(Double.self, forKey: .sessionSeconds) ?? d.sessionSeconds
        self = d
    }

    /// The URL a browser opens.
    public func url(port bound: Int? = nil) -> String {
        let shown = host == "0.0.0.0" || host == "::" ? "localhost" : host
        return "\(insecureHTTP ? "http" : "https")://\(shown):\(bound ?? port)"
    }
}
