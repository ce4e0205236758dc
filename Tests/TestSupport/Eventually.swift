import Foundation

/// Polls `condition` until it holds or `seconds` pass: readiness with a bound, never a fixed sleep. The default
/// bound is generous: the whole suite starts at once on two cores, and a loaded first minute must not fail a test.
/// - Returns: whether the condition came true in time.
public func eventually(within seconds: Double = 90, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
