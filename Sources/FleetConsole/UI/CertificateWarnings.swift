import FleetStore
import Foundation

/// The banner every console page shows when a certificate the fleet depends on ends soon: at 30 days (warning) and
/// 7 days (danger). Issued certificates renew themselves, so one counts only once it is within 7 days of its end
/// (its renewal is failing); hand-made client certificates, the Fleet Servers' own and the rotation's CA count
/// from 30 days.
/// Worked out at most once a minute: a page view never reads every agent.
final class CertificateWarnings: Sendable {
    struct Banner: Sendable {
        /// "warn" or "danger".
        var level: String
        var text: String
    }

    let cached = LockedBox<(at: Date, banner: Banner?)?>(nil)

    func banner(_ store: any Store, now: Date = Date()) async -> Banner? {
        if let cached = cached.withLock({ $0 }), now.timeIntervalSince(cached.at) < 60 { return cached.banner }
        let banner = try? await Self.compute(store, now: now)
        cached.withLock { $0 = (now, banner ?? nil) }
        return banner ?? nil
    }

    static func compute(_ store: any Store, now: Date) async throws -> Banner? {
        var soonest: (days: Double, what: String)?
        func consider(_ end: Date, _ what: String, from days: Double) {
            let left = end.timeIntervalSince(now) / 86_400
            guard left < days, left > -1 else { return }
            if soonest == nil || left < soonest!.days { soonest = (left, what) }
        }
        let records = try await store.issuedCertificates(agentId: nil)
        let issued = Set(records.map(\.fingerprint))
        var newest: [String: IssuedCertificateRecord] = [:]
        for record in records where record.revokedAt == nil && newest[record.agentId] == nil {
            newest[record.agentId] = record
        }
        for agent in try await store.agents() where agent.unenrolledAt == nil && !agent.apiKeyRevoked {
            if let record = newest[agent.id] {
                consider(record.notAfter, "the issued certificate of agent \(agent.id) (its renewal is failing)", from: 7)
            } else if let end = agent.certificateNotAfter, let fingerprint = agent.certificateFingerprint, !issued.contains(fingerprint) {
                consider(end, "the client certificate \(agent.certificateSubject ?? "") of agent \(agent.id)", from: 30)
            }
        }
        for published in try await store.fleetServerCertificates() {
            for entry in published.certificates {
                consider(entry.notAfter, "the \(entry.use) \(entry.subject) of the Fleet Server \(published.server)", from: 30)
            }
        }
        if let rotation = try await store.agentCARotation(), let end = rotation.nextNotAfter {
            consider(end, "the agent CA of the rotation", from: 30)
        }
        guard let soonest else { return nil }
        let days = max(0, Int(soonest.days.rounded(.down)))
        let when = days == 0 ? "within a day" : "in \(days) day\(days == 1 ? "" : "s")"
        return Banner(level: soonest.days < 7 ? "danger" : "warn", text: "A certificate ends \(when): \(soonest.what). See Certificates.")
    }
}
