import FleetProtocol
import FleetTLS
import Foundation

/// One `logfile` (or `filestream`) stream of a policy: which files to read and where their lines go.
public struct LogfileSettings: Sendable, Equatable {
    public var id: String
    public var paths: [String]
    /// Regular expressions: a matching path is not read.
    public var excludeFiles: [String]
    public var dataset: String
    public var namespace: String
    public var tags: [String]
    /// A longer line is cut here and marked with `log.flags: ["truncated"]`.
    public var messageMaximumBytes: Int
    /// How often the paths are globbed again for new files.
    public var checkInterval: Double
    /// How long a file no longer matched by the paths (rotated away, deleted) is kept open after it last grew,
    /// for what its writer still appends (`close.on_state_change.inactive`, default 5 minutes).
    public var closeInactive: Double

    /// The streams of one policy input, Elastic's shape (`streams[]` each with `paths`), or the input's own
    /// `paths` as one stream.
    /// - Parameter field: where the input is in the policy ("inputs[2]"), for the sentence when it is wrong.
    public static func streams(of input: JSONValue, field: String, policyTags: [String]) throws(FlotillaError) -> [LogfileSettings] {
        let inputID = input["id"]?.stringValue ?? field
        let namespace = input["data_stream"]?["namespace"]?.stringValue ?? "default"
        let streams = input["streams"]?.arrayValue ?? [input]
        var result: [LogfileSettings] = []
        for (position, stream) in streams.enumerated() {
            let here = input["streams"] == nil ? field : "\(field).streams[\(position)]"
            let paths = stream["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !paths.isEmpty else {
                throw FlotillaError("The logfile input at \(here) has no paths", hint: "give the files to read in paths, like /var/log/app/*.log")
            }
            let exclude = stream["exclude_files"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for pattern in exclude where (try? NSRegularExpression(pattern: pattern)) == nil {
                throw FlotillaError("The exclude_files pattern \(pattern) at \(here) is not a regular expression", hint: "write it like \\.gz$")
            }
            let interval = stream["prospector"]?["scanner"]?["check_interval"]?.stringValue ?? stream["check_interval"]?.stringValue
            let maximum = stream["message_max_bytes"]?.intValue ?? (1 << 20)
            guard maximum > 0, maximum <= 8 << 20 else {
                throw FlotillaError("message_max_bytes at \(here) must be between 1 and 8388608", hint: "leave it out for 1 MiB")
            }
            let inactive = stream["close"]?["on_state_change"]?["inactive"]?.stringValue ?? stream["close_inactive"]?.stringValue
            let tags = (stream["tags"]?.arrayValue ?? input["tags"]?.arrayValue)?.compactMap(\.stringValue) ?? []
            result.append(LogfileSettings(
                id: stream["id"]?.stringValue ?? (streams.count == 1 ? inputID : "\(inputID)-\(position)"),
                paths: paths,
                excludeFiles: exclude,
                dataset: stream["data_stream"]?["dataset"]?.stringValue ?? "generic",
                namespace: stream["data_stream"]?["namespace"]?.stringValue ?? namespace,
                tags: policyTags + tags,
                messageMaximumBytes: maximum,
                checkInterval: min(60, max(0.05, interval.flatMap(parseGoDuration) ?? 1)),
                closeInactive: min(86_400, max(0, inactive.flatMap(parseGoDuration) ?? 300))
            ))
        }
        return result
    }

    /// The data stream the lines go to.
    public var index: String { "logs-\(dataset)-\(namespace)" }
}
