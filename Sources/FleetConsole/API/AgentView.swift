import FleetProtocol
import FleetStore
import Foundation

/// An agent as the console shows it, with its status computed as Kibana computes it.
struct AgentView: Sendable {
    let record: AgentRecord
    let policy: PolicyRecord?
    let now: Date

    /// Offline after five minutes without a check-in, as in Kibana.
    static let offlineAfter: TimeInterval = 300

    /// healthy, unhealthy, updating, offline or unenrolled: Kibana's `status` values.
    var status: String {
        if record.unenrolledAt != nil || record.lastStatus == "unenrolled" { return "unenrolled" }
        guard let last = record.lastCheckinAt, now.timeIntervalSince(last) < Self.offlineAfter else {
            return record.lastCheckinAt == nil && now.timeIntervalSince(record.enrolledAt) < Self.offlineAfter ? "enrolling" : "offline"
        }
        switch record.lastStatus {
        case "error", "degraded", "failed": return "unhealthy"
        case "starting", "configuring", "updating": return "updating"
        default: return isOutdated ? "updating" : "healthy"
        }
    }

    /// The badge a person reads.
    var statusLabel: String {
        switch status {
        case "healthy": "Healthy"
        case "unhealthy": "Unhealthy"
        case "updating", "enrolling": "Updating"
        case "unenrolled": "Unenrolled"
        default: "Offline"
        }
    }

    var isOutdated: Bool {
        guard let policy else { return false }
        return (record.policyRevision ?? 0) < policy.revision
    }

    var metadata: JSONValue { (try? JSONValue(data: Data(record.localMetadata.utf8))) ?? .object([:]) }
    var hostName: String { metadata[["host", "hostname"]]?.stringValue ?? metadata[["host", "name"]]?.stringValue ?? "—" }
    var version: String { metadata[["elastic", "agent", "version"]]?.stringValue ?? "—" }
    /// The inputs and outputs the agent last reported, as Elastic Agent's `components`.
    var components: [JSONValue] {
        record.components.flatMap { try? JSONValue(data: Data($0.utf8)) }?.arrayValue ?? []
    }
    /// The `upgrade_details` of the agent's last check-in: an upgrade under way, or how it failed.
    var upgradeDetails: UpgradeDetails? {
        record.upgradeDetails.flatMap { try? JSONDecoder().decode(UpgradeDetails.self, from: Data($0.utf8)) }
    }

    /// The upgrade in words: "upgrading to 0.2.0: downloading", "upgrade to 0.3.0 failed: ...".
    var upgradeText: String? {
        guard let details = upgradeDetails else { return nil }
        if details.upgradeState == .failed {
            let reason = details.metadata?["error_msg"]?.stringValue
            return "upgrade to \(details.targetVersion) failed" + (reason.map { ": \($0)" } ?? "")
        }
        let step = details.state.replacingOccurrences(of: "UPG_", with: "").lowercased()
        return "upgrading to \(details.targetVersion): \(step)"
    }

    var certificateDaysLeft: Int? {
        record.certificateNotAfter.map { Int(($0.timeIntervalSince(now) / 86_400).rounded(.down)) }
    }

    /// Kibana's agent object, with the client certificate the agent last presented.
    var json: JSONValue {
        var item: JSONValue = [
            "id": .string(record.id), "type": .string(record.type), "active": .bool(record.unenrolledAt == nil),
            "policy_id": .string(record.policyId), "status": .string(status), "tags": .array(record.tags.map { .string($0) }),
            "enrolled_at": .string(RFC3339.string(from: record.enrolledAt)), "local_metadata": metadata,
            "outdated": .bool(isOutdated),
        ]
        if let revision = record.policyRevision { item["policy_revision"] = .number(Double(revision)) }
        if let last = record.lastCheckinAt { item["last_checkin"] = .string(RFC3339.string(from: last)) }
        if let status = record.lastStatus { item["last_checkin_status"] = .string(status) }
        if let message = record.lastMessage, !message.isEmpty { item["last_checkin_message"] = .string(message) }
        if let unenrolled = record.unenrolledAt { item["unenrolled_at"] = .string(RFC3339.string(from: unenrolled)) }
        if !components.isEmpty { item["components"] = .array(components) }
        if let details = upgradeDetails, let value = try? JSONValue(encoding: details) { item["upgrade_details"] = value }
        if let subject = record.certificateSubject {
            var certificate: JSONValue = ["subject": .string(subject)]
            if let fingerprint = record.certificateFingerprint { certificate["sha256"] = .string(fingerprint) }
            if let issuer = record.certificateIssuer { certificate["issuer"] = .string(issuer) }
            if let notAfter = record.certificateNotAfter { certificate["not_after"] = .string(RFC3339.string(from: notAfter)) }
            item["client_certificate"] = certificate
        }
        return item
    }

    /// Whether the agent passes a `kuery`-like filter: `status:healthy`, `policy_id:x`, `tags:y`, or free text
    /// in its id or host name; terms joined by `and` must all hold.
    func matches(_ kuery: String?) -> Bool {
        guard let kuery, !kuery.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        let terms = kuery.components(separatedBy: " and ").flatMap { $0.components(separatedBy: " AND ") }
        return terms.allSatisfy { term in
            let parts = term.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard parts.count == 2 else {
                let text = term.trimmingCharacters(in: .whitespaces).lowercased()
                return record.id.lowercased().contains(text) || hostName.lowercased().contains(text)
            }
            let field = parts[0].replacingOccurrences(of: "fleet-agents.", with: ""), value = parts[1]
            switch field {
            case "status": return status == value.lowercased() || (value.lowercased() == "updating" && status == "enrolling")
            case "policy_id": return record.policyId == value
            case "tags": return record.tags.contains(value)
            case "local_metadata.host.hostname", "host": return hostName == value
            default: return false
            }
        }
    }
}
