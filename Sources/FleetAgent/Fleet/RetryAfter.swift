import Foundation

/// A server's "come back later": 429 or 503 with a Retry-After header in seconds.
///
/// A Fleet Server restarted under a whole fleet tells the agents it cannot take now when to return; if every
/// agent came back after exactly that long they would arrive together again, so each waits that long plus a random
/// part of it more.
public enum RetryAfter {
    /// The seconds an answer asks to wait, when it is a 429 or 503 that says (HTTP-dates are not used by Fleet
    /// Servers and count as no header).
    public static func seconds(status: Int, headers: [String: String]) -> Double? {
        guard status == 429 || status == 503, let value = headers["retry-after"].flatMap({ Double($0) }), value >= 0 else {
            return nil
        }
        return min(value, 3600)
    }

    /// How long to wait for a Retry-After of `seconds`: between once and twice that, at least one second.
    public static func delay(_ seconds: Double) -> Double {
        let base = max(1, seconds)
        return base + Double.random(in: 0...base)
    }
}
