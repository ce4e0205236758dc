import FleetStore
import Foundation

/// A token bucket: `rate` requests a second on average, bursts up to `burst`. Over it, callers answer 429 with
/// Retry-After, so a fleet reconnecting at once is spread out instead of overloading the store.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let rate: Double
    let burst: Double
    let bucket: LockedBox<Bucket>

    public init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = Double(burst)
        bucket = LockedBox(Bucket(tokens: Double(burst), updated: Date()))
    }

    /// Takes a token, or returns after how many seconds one will be free.
    public func take(now: Date = Date()) -> Int? {
        bucket.withLock { bucket in
            bucket.tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}
