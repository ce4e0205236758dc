import FleetProtocol
import Foundation

/// An upgrade of many agents, released a few at a time: spread over `duration` from `startAt`, never more than
/// `maxConcurrent` agents between their UPGRADE action and its acknowledgement. Kept in the store, so a console
/// restarted in the middle carries on.
struct UpgradeRollout: Codable, Sendable, Equatable {
    var id: String
    var version: String
    /// Agents not sent their action yet, in the order they go.
    var pending: [String]
    /// The actions sent so far, one per wave.
    var waves: [Wave]
    var total: Int
    var maxConcurrent: Int
    var startAt: Date
    var duration: Double
    var createdBy: String
    /// Where agents download the binary, when not from Fleet Server, and the TLS settings to reach it.
    var sourceURI: String?
    var sourceSSL: JSONValue?

    /// One UPGRADE action and the agents it went to.
    struct Wave: Codable, Sendable, Equatable {
        var actionId: String
        var agentIds: [String]
        var sentAt: Date
        /// Agents that acknowledged it (upgraded, or failed and left as they were).
        var finished: [String] = []
    }

    /// An agent that never answers stops counting against the limit after this long.
    static let answerTimeout: Double = 1800

    /// Agents sent their action and not yet answered (and not past `answerTimeout`).
    func inFlight(now: Date) -> Int {
        waves.filter { now.timeIntervalSince($0.sentAt) < Self.answerTimeout }.reduce(0) { $0 + $1.agentIds.count - $1.finished.count }
    }

    /// How many agents may have been sent their action by `now`: a share of the window, all of them after it.
    func releasedBy(_ now: Date) -> Int {
        guard now >= startAt else { return 0 }
        guard duration > 0 else { return total }
        return min(total, Int((Double(total) * now.timeIntervalSince(startAt) / duration).rounded(.up)))
    }

    /// How many agents to send their action to now.
    func dueNow(_ now: Date) -> Int {
        let sent = total - pending.count
        return max(0, min(pending.count, maxConcurrent - inFlight(now: now), releasedBy(now) - sent))
    }

    var isDone: Bool { pending.isEmpty && waves.allSatisfy { $0.finished.count == $0.agentIds.count } }

    enum CodingKeys: String, CodingKey {
        case id, version, pending, waves, total, duration
        case maxConcurrent = "max_concurrent", startAt = "start_at", createdBy = "created_by", sourceURI = "source_uri"
        case sourceSSL = "source_ssl"
    }
}
