import Foundation

/// RFC 3339 timestamps with milliseconds in UTC for `@timestamp`, made cheaply: the part up to the second is
/// formatted once a second.
public struct EventClock: Sendable {
    private var second: Int = -1
    private var prefix: [UInt8] = []

    public init() {}

    /// `"2026-12-01T18:44:03.123Z"` with its quotes, for the time now.
    public mutating func quotedNow() -> [UInt8] {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        if spec.tv_sec != second {
            second = spec.tv_sec
            var time = spec.tv_sec
            var parts = tm()
            gmtime_r(&time, &parts)
            let text = String(
                format: "\"%04d-%02d-%02dT%02d:%02d:%02d.", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                parts.tm_hour, parts.tm_min, parts.tm_sec
            )
            prefix = Array(text.utf8)
        }
        let millis = Int(spec.tv_nsec / 1_000_000)
        var out = prefix
        out.append(UInt8(48 + millis / 100))
        out.append(UInt8(48 + (millis / 10) % 10))
        out.append(UInt8(48 + millis % 10))
        out.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
        return out
    }
}
