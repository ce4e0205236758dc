import FleetStore
import FleetTLS
import Foundation
import Hummingbird

extension WebUI {
    /// Certificates: the agent CA rotation with its buttons, each agent's issued certificate and the client
    /// certificates agents present that were made by hand, with the time each has left.
    func addCertificatePages(to router: Router<ConsoleRequestContext>) {
        router.get("certificates") { request, context in
            let flash: String? = request.uri.queryParameters.get("flash").map { String($0) }
            return try await certificatesPage(context: context, flash: flash)
        }
        router.post("certificates/rotation/next") { request, context in
            let form = try await Self.formBody(request, context: context)
            return try await rotationChange(context) {
                let rotation = try await api.advanceRotation(force: form.text("force") == "true", by: try context.requireIdentity())
                return "Phase \(rotation.phase.number) of 3: \(rotation.phase.summary)."
            }
        }
        router.post("certificates/rotation/rollback") { _, context in
            try await rotationChange(context) {
                let rotation = try await api.rollBackRotation(by: try context.requireIdentity())
                return rotation.map { "Back to phase \($0.phase.number) of 3: \($0.phase.summary)." } ?? "The rotation was rolled back: the configured agent CA alone is in force."
            }
        }
        router.post("certificates/rotation/renew-all") { _, context in
            try await rotationChange(context) {
                let count = try await api.renewAllForRotation(by: try context.requireIdentity())
                return "Told \(count) agent\(count == 1 ? "" : "s") to renew now."
            }
        }
    }

    /// Runs a rotation change and shows the page again, with what happened or why it was refused.
    func rotationChange(_ context: ConsoleRequestContext, _ change: () async throws -> String) async throws -> Response {
        do {
            return Self.redirect("/certificates", flash: try await change())
        } catch let error as ConsoleError {
            return try await certificatesPage(context: context, error: error.message)
        }
    }

    func certificatesPage(context: ConsoleRequestContext, flash: String? = nil, error: String? = nil) async throws -> Response {
        let now = Date()
        let store = api.store
        let agents = try await store.agents().filter { $0.unenrolledAt == nil }
        let hosts = Dictionary(uniqueKeysWithValues: agents.map { ($0.id, AgentView(record: $0, policy: nil, now: now).hostName) })
        let allIssued = try await store.issuedCertificates(agentId: nil)
        let issuedFingerprints = Set(allIssued.map(\.fingerprint))
        var seen = Set<String>()
        let issued: [[String: Any]] = allIssued.filter { hosts[$0.agentId] != nil && seen.insert($0.agentId).inserted }.prefix(500).map { record in
            Self.certificateRow(
                agentId: record.agentId, host: hosts[record.agentId] ?? record.agentId, subject: record.subject, issuer: record.issuer,
                fingerprint: record.fingerprint, notAfter: record.notAfter, revoked: record.revokedAt != nil, renews: true, now: now
            )
        }
        let presented: [[String: Any]] = agents.compactMap { agent in
            guard let fingerprint = agent.certificateFingerprint, !issuedFingerprints.contains(fingerprint), let end = agent.certificateNotAfter else { return nil }
            return Self.certificateRow(
                agentId: agent.id, host: hosts[agent.id] ?? agent.id, subject: agent.certificateSubject ?? "", issuer: agent.certificateIssuer ?? "",
                fingerprint: fingerprint, notAfter: end, revoked: false, renews: false, now: now
            )
        }
        let servers: [[String: Any]] = try await store.fleetServerCertificates().flatMap { published in
            published.certificates.map { entry in
                var row = Self.certificateRow(
                    agentId: "", host: published.server, subject: entry.subject, issuer: entry.issuer, fingerprint: entry.fingerprint,
                    notAfter: entry.notAfter, revoked: false, renews: false, now: now
                )
                row["use"] = entry.use
                return row
            }
        }
        var values: [String: Any] = ["issued": issued, "presented": presented, "servers": servers, "nav": ["certificates": true]]
        if let rotation = try await store.agentCARotation() {
            let progress = try await store.progress(of: rotation, now: now)
            values["rotation"] = [
                "number": rotation.phase.number, "phase": rotation.phase.rawValue, "summary": rotation.phase.summary,
                "started": Self.day(rotation.startedAt), "changed": Self.relative(rotation.changedAt, now: now),
                "active": progress.active, "onNew": progress.onNewCA, "onOld": progress.onOldCA, "without": progress.withoutValidCertificate,
                "canAdvance": rotation.phase.next != nil, "issuing": rotation.phase == .issueNew, "retiresNext": rotation.phase.next == .retireOld && progress.onOldCA > 0,
                "phases": AgentCARotation.Phase.allCases.map { phase in
                    ["number": phase.number, "name": phase.rawValue, "summary": phase.summary, "done": phase.number < rotation.phase.number, "current": phase == rotation.phase]
                },
            ] as [String: Any]
        }
        if let flash { values["flash"] = flash }
        if let error { values["error"] = error }
        return try await page("certificates", title: "Certificates", values, context: context, status: error == nil ? .ok : .badRequest)
    }

    static func certificateRow(
        agentId: String, host: String, subject: String, issuer: String, fingerprint: String, notAfter: Date, revoked: Bool,
        renews: Bool, now: Date
    ) -> [String: Any] {
        let days = notAfter.timeIntervalSince(now) / 86_400
        // Issued certificates renew themselves at two thirds of their life: only one near its end is a problem.
        let state = revoked ? "revoked" : days <= 0 ? "expired" : days < 7 ? "danger" : (days < 30 && !renews) ? "warn" : "healthy"
        let label = revoked ? "Revoked" : days <= 0 ? "Expired" : TimeLeft.phrase(until: notAfter, now: now)
        return [
            "agentId": agentId, "host": host, "subject": subject, "issuer": issuer, "fingerprint": String(fingerprint.prefix(16)),
            "fullFingerprint": fingerprint, "until": day(notAfter), "state": state, "label": label,
        ]
    }
}
