import Foundation

/// Exponential backoff with full jitter, between `initial` and `maximum` seconds.
public struct Backoff: Sendable {
    var failures = 0
    let initial: Double
    let maximum: Double

    public init(initial: Double = 1, maximum: Double = 600) {
        self.initial = initial
        self.maximum = maximum
    }

    public mutating func next() -> Double {
        let ceiling = min(maximum, initial * pow(2, Double(failures)))
        failures += 1
        return Double.random(in: (ceiling / 2)...ceiling)
    }

    public mutating func reset() { failures = 0 }
}
