import FleetStore
import Foundation
import HTTPTypes

/// Bounds the agent API requests doing work at once (reading and writing the store, signing), so a Fleet Server
/// restarted under a whole fleet answers what it cannot take now with 503 and Retry-After instead of queueing
/// tens of thousands of store reads and the memory they hold. Waiting check-ins hold no pass: parked, they cost
/// nothing but their entry in the check-in hub.
final class AdmissionGate: Sendable {
    let limit: Int
    /// Seconds a refused agent is told to wait; agents add up to as much again at random.
    let retryAfterSeconds: Int
    let active = LockedBox(0)

    init(limit: Int, retryAfterSeconds: Int = 5) {
        self.limit = limit
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Runs `body` as one of at most `limit` requests working at once, or throws the 503 to answer.
    ///
    /// `body` runs in a child task of its own. A connection's task keeps the memory its deepest request needed for
    /// as long as the connection lives (Swift's task allocator keeps its slabs), and the work here (decoding,
    /// the store, signing) is the deepest; in a child task that memory goes when the work is done, so a waiting
    /// agent's connection holds only what its wait needs.
    func admitted<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let admitted = active.withLock { active in
            guard active < limit else { return false }
            active += 1
            return true
        }
        guard admitted else {
            throw APIError(
                .serviceUnavailable,
                "The Fleet Server is busy with \(limit) requests; retry the \(what) in \(retryAfterSeconds) s",
                headers: [.retryAfter: "\(retryAfterSeconds)"]
            )
        }
        defer { active.withLock { $0 -= 1 } }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            return try await group.next()!
        }
    }

    /// Requests working now.
    var working: Int { active.withLock { $0 } }
}
