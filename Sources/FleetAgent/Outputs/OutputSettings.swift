import FleetProtocol
import FleetTLS
import Foundation

/// One output of a policy (`outputs.<id>`), read and checked: what the agent needs to build it and its queue.
public struct OutputSettings: Sendable, Equatable {
    public var id: String
    public var type: String
    public var hosts: [String]
    public var tls: TLSSettings
    /// `id:key`, as Kibana writes it; sent as `Authorization: ApiKey base64(id:key)`.
    public var apiKey: String?
    /// A service token (remote Elasticsearch); sent as a bearer token.
    public var serviceToken: String?
    public var username: String?
    public var password: String?
    public var headers: [String: String]
    /// `proxy_url`, `proxy_headers` and `proxy_ssl`; without them, `HTTPS_PROXY` unless `NO_PROXY` excludes the host.
    public var proxy: ProxySettings?
    public var batchSize: Int
    /// Batches in flight at once (`worker`), each on its own connection.
    public var workers: Int
    public var flushInterval: Double
    /// gzip level for request bodies; 0 sends them plain.
    public var compressionLevel: Int
    public var timeout: Double
    public var backoffInitial: Double
    public var backoffMaximum: Double
    /// The queue's limit on disk, in bytes.
    public var queueMaximumBytes: Int
    /// `file` output: the directory, the file name, when to rotate, how many rotated files to keep.
    public var path: String?
    public var filename: String
    public var rotateEveryBytes: Int
    public var numberOfFiles: Int

    public static let types = ["elasticsearch", "remote_elasticsearch", "file"]

    /// Reads `outputs.<id>` of a policy.
    public init(id: String, policy section: JSONValue) throws(FlotillaError) {
        let field = "outputs.\(id)"
        self.id = id
        type = section["type"]?.stringValue ?? "elasticsearch"
        guard Self.types.contains(type) else {
            throw FlotillaError("The output \(id) has type \(type), which this agent does not ship to", hint: "use \(Self.types.joined(separator: ", "))")
        }
        hosts = section["hosts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if type != "file" {
            guard !hosts.isEmpty else { throw FlotillaError("The output \(id) has no hosts", hint: "give its URLs in \(field).hosts") }
            for host in hosts { _ = try HTTPEndpoint(url: host, field: "\(field).hosts", allowPlain: true) }
        }
        if let ssl = section["ssl"], ssl.objectValue?.isEmpty == false {
            do { tls = try ssl.decode(TLSSettings.self) } catch {
                throw FlotillaError("The TLS settings in \(field).ssl are not valid: \(error)", hint: "check verification_mode (full, certificate or none) and the lists of CAs and pins")
            }
        } else {
            tls = TLSSettings()
        }
        apiKey = section["api_key"]?.stringValue
        serviceToken = section["service_token"]?.stringValue
        username = section["username"]?.stringValue
        password = section["password"]?.stringValue
        headers = section["headers"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        try HTTPHeaderCheck.validate(headers, field: "\(field).headers")
        proxy = try ProxySettings(section: section, field: field)
        // Out-of-range numbers are brought into range rather than refused: a policy is applied whole.
        batchSize = min(50_000, max(1, section["bulk_max_size"]?.intValue ?? 1600))
        workers = min(16, max(1, section["worker"]?.intValue ?? section["workers"]?.intValue ?? 2))
        flushInterval = Self.clamp(Self.seconds(section["flush_interval"] ?? section["queue"]?["mem"]?["flush"]?["timeout"]) ?? 1, 0.001, 60)
        compressionLevel = min(9, max(0, section["compression_level"]?.intValue ?? 1))
        timeout = Self.clamp(Self.seconds(section["timeout"]) ?? 90, 1, 3600)
        backoffInitial = Self.clamp(Self.seconds(section["backoff"]?["init"]) ?? 1, 0.01, 3600)
        backoffMaximum = Self.clamp(Self.seconds(section["backoff"]?["max"]) ?? 60, backoffInitial, 3600)
        queueMaximumBytes = min(1 << 40, max(64 << 10, Self.bytes(section["queue"]?["disk"]?["max_size"]) ?? (1 << 30)))
        path = section["path"]?.stringValue
        filename = section["filename"]?.stringValue ?? "flotilla"
        rotateEveryBytes = min(1 << 20, max(1, section["rotate_every_kb"]?.intValue ?? 10_240)) * 1024
        numberOfFiles = min(1024, max(1, section["number_of_files"]?.intValue ?? 7))
        if type == "file", path == nil {
            throw FlotillaError("The file output \(id) has no path", hint: "give the directory to write to in \(field).path")
        }
    }

    static func clamp(_ value: Double, _ lowest: Double, _ highest: Double) -> Double {
        value.isFinite ? min(highest, max(lowest, value)) : lowest
    }

    /// A number of seconds or a Go duration ("30s").
    static func seconds(_ value: JSONValue?) -> Double? {
        if let number = value?.doubleValue { return number }
        return value?.stringValue.flatMap(parseGoDuration)
    }

    /// A number of bytes or a size with a unit ("512MiB", "1GB").
    static func bytes(_ value: JSONValue?) -> Int? {
        if let number = value?.intValue { return number }
        guard let text = value?.stringValue?.trimmingCharacters(in: .whitespaces) else { return nil }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        guard let amount = Double(digits) else { return nil }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Double = switch unit {
        case "", "b": 1
        case "kb", "kib", "k": 1024
        case "mb", "mib", "m": 1_048_576
        case "gb", "gib", "g": 1_073_741_824
        default: 0
        }
        let total = amount * scale
        return scale == 0 || !total.isFinite || total > Double(1 << 50) ? nil : Int(total)
    }
}
