import Foundation

/// How long until a certificate's end, as a person says it: "29 days", "5 hours", "40 seconds", or "expired".
public enum TimeLeft {
    public static func phrase(until end: Date, now: Date = Date()) -> String {
        let seconds = end.timeIntervalSince(now)
        guard seconds > 0 else { return "expired" }
        func unit(_ count: Int, _ name: String) -> String { "\(count) \(name)\(count == 1 ? "" : "s") left" }
        if seconds >= 86_400 { return unit(Int(seconds / 86_400), "day") }
        if seconds >= 3_600 { return unit(Int(seconds / 3_600), "hour") }
        if seconds >= 60 { return unit(Int(seconds / 60), "minute") }
        return unit(Int(seconds), "second")
    }
}
