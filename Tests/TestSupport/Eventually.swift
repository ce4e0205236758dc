import Foundation

/// Polls `condition` until it holds or `seconds` pass: readiness with a bound, never a fixed sleep.
/// - Returns: whether the condition came true in time.
public func eventually(within seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
