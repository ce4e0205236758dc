/// Parses a Go `time.ParseDuration` string (`"5m"`, `"1m30s"`, `"300ms"`, `"1h"`, `"2.5s"`, `"-1.5h"`)
/// into seconds. Agents send their checkin `poll_timeout` this way, so the rules follow Go's:
/// an optional sign, then one or more decimal numbers each with a unit (`ns`, `us`/`µs`/`μs`, `ms`,
/// `s`, `m`, `h`); a bare `"0"` is the only unitless value. Returns `nil` for anything else,
/// and for values beyond Go's range (about ±292 years).
public func parseGoDuration(_ text: String) -> Double? {
    let scalars = Array(text.unicodeScalars)
    var index = 0
    var negative = false
    if index < scalars.count, scalars[index] == "-" || scalars[index] == "+" {
        negative = scalars[index] == "-"
        index += 1
    }
    let rest = scalars[index...]
    if rest.count == 1, rest.first == "0" { return 0 }
    if rest.isEmpty { return nil }

    func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    /// Consumes scalars from `index` while `accept` holds and returns them as a string.
    func take(while accept: (Unicode.Scalar) -> Bool) -> String {
        var taken = String.UnicodeScalarView()
        while index < scalars.count, accept(scalars[index]) {
            taken.append(scalars[index])
            index += 1
        }
        return String(taken)
    }

    var total = 0.0
    while index < scalars.count {
        let whole = take(while: isDigit)
        var fraction = ""
        if index < scalars.count, scalars[index] == "." {
            index += 1
            fraction = take(while: isDigit)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return nil }

        let unit = take(while: { !isDigit($0) && $0 != "." })
        guard let unitSeconds = goDurationUnits[unit] else { return nil }

        let number = (whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction)
        guard let value = Double(number) else { return nil }
        total += value * unitSeconds
    }
    // Go stores durations as Int64 nanoseconds and rejects what does not fit.
    guard total.isFinite, total <= 9_223_372_036.854_775_807 else { return nil }
    return negative ? -total : total
}

/// Formats seconds the way Go's `Duration.String` does (`"5m0s"`, `"1m30s"`, `"300ms"`, `"1h0m0s"`),
/// for agents that send `poll_timeout`. Precision is one nanosecond.
public func formatGoDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "0s" }
    let nanos = (abs(seconds) * 1e9).rounded()
    guard nanos >= 1 else { return "0s" }
    let u = nanos < 1.8e19 ? UInt64(nanos) : UInt64.max
    let sign = seconds < 0 ? "-" : ""

    /// `value` split at `digits` decimal places, the fraction without trailing zeros.
    func split(_ value: UInt64, digits: Int) -> (whole: UInt64, fraction: String) {
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let remainder = value % scale
        guard remainder != 0 else { return (value / scale, "") }
        var text = String(remainder)
        text = String(repeating: "0", count: digits - text.count) + text
        while text.hasSuffix("0") { text.removeLast() }
        return (value / scale, "." + text)
    }

    if u < 1_000 { return "\(sign)\(u)ns" }
    if u < 1_000_000 {
        let (whole, fraction) = split(u, digits: 3)
        return "\(sign)\(whole)\(fraction)µs"
    }
    if u < 1_000_000_000 {
        let (whole, fraction) = split(u, digits: 6)
        return "\(sign)\(whole)\(fraction)ms"
    }
    let (wholeSeconds, fraction) = split(u, digits: 9)
    var text = "\(wholeSeconds % 60)\(fraction)s"
    let minutes = wholeSeconds / 60
    if minutes > 0 {
        text = "\(minutes % 60)m" + text
        let hours = minutes / 60
        if hours > 0 { text = "\(hours)h" + text }
    }
    return sign + text
}

extension Duration {
    /// A `Duration` from a Go duration string; `nil` when `parseGoDuration` rejects it.
    public init?(goDuration text: String) {
        guard let seconds = parseGoDuration(text) else { return nil }
        self = .seconds(seconds)
    }
}

/// Seconds per Go duration unit. Both micro signs (U+00B5 and U+03BC) are accepted, as Go does.
private let goDurationUnits: [String: Double] = [
    "ns": 1e-9,
    "us": 1e-6,
    "\u{00B5}s": 1e-6,
    "\u{03BC}s": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
]
