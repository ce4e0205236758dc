import FleetStore
import Foundation

extension Store {
    /// Polls until some agent satisfies `condition` (check-in bookkeeping is batched, so it lands a moment after
    /// the request), or gives up after `seconds`. Readiness, not a fixed sleep.
    public func waitForAgent(within seconds: Double = 30, _ condition: (AgentRecord) -> Bool) async throws -> AgentRecord? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let agent = try await agents().first(where: condition) { return agent }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
