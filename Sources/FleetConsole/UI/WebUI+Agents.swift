import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension WebUI {
    func addAgentPages(to router: Router<ConsoleRequestContext>) {
        router.get("agents") { request, context in
            let query = request.uri.queryParameters
            let status = query.get("status") ?? "", policy = query.get("policy") ?? "", tag = query.get("tag") ?? "", text = query.get("q") ?? ""
            var kuery: [String] = []
            if !status.isEmpty { kuery.append("status:\(status)") }
            if !policy.isEmpty { kuery.append("policy_id:\(policy)") }
            if !tag.isEmpty { kuery.append("tags:\(tag)") }
            if !text.isEmpty { kuery.append(text) }
            let all = try await api.agentViews()
            let shown = all.filter { ($0.status != "unenrolled" || status == "unenrolled") && $0.matches(kuery.joined(separator: " and ")) }
            let policies = try await api.store.policies()
            let names = Dictionary(uniqueKeysWithValues: policies.map { ($0.id, $0.name) })
            var counts: [(key: String, label: String, value: Int)] = []
            for (key, label) in [("healthy", "Healthy"), ("unhealthy", "Unhealthy"), ("updating", "Updating"), ("offline", "Offline")] {
                counts.append((key, label, all.filter { $0.status == key || (key == "updating" && $0.status == "enrolling") }.count))
            }
            let values: [String: Any] = [
                "agents": shown.map { row($0, policyName: names[$0.record.policyId] ?? $0.record.policyId) },
                "counts": counts.map { ["key": $0.key, "label": $0.label, "value": $0.value] },
                "statuses": ["healthy", "unhealthy", "updating", "offline", "unenrolled"].map { ["value": $0, "label": $0.capitalized, "selected": $0 == status] },
                "policyOptions": policies.map { ["id": $0.id, "name": $0.name, "selected": $0.id == policy] },
                "q": text, "tag": tag, "query": request.uri.query ?? "", "flash": query.get("flash") ?? "", "nav": ["agents": true],
            ]
            return try await page("agents", title: "Agents", values, context: context)
        }
        router.get("agents/:id") { request, context in
            let view = try await api.agentView(try context.parameters.require("id"))
            let policies = try await api.store.policies()
            var values = row(view, policyName: view.policy?.name ?? view.record.policyId)
            values["message"] = view.record.lastMessage ?? ""
            values["unhealthy"] = view.status == "unhealthy"
            values["latest"] = "revision \(view.policy?.revision ?? 0)"
            values["enrolled"] = Self.day(view.record.enrolledAt)
            values["issuer"] = view.record.certificateIssuer ?? "an unknown CA"
            values["fingerprint"] = view.record.certificateFingerprint ?? ""
            values["active"] = view.record.unenrolledAt == nil
            values["hasUnits"] = !view.components.isEmpty
            values["units"] = view.components.flatMap { component in
                (component["units"]?.arrayValue ?? []).map { unit -> [String: Any] in
                    let status = unit["status"]?.stringValue ?? "UNKNOWN"
                    return [
                        "component": component["id"]?.stringValue ?? "", "unit": unit["id"]?.stringValue ?? "",
                        "kind": unit["type"]?.stringValue ?? "", "status": status.capitalized,
                        "class": status == "HEALTHY" ? "healthy" : (status == "DEGRADED" || status == "FAILED" ? "unhealthy" : "updating"),
                        "message": unit["message"]?.stringValue ?? "",
                    ]
                }
            }
            values["policyOptions"] = policies.map { ["id": $0.id, "name": $0.name, "selected": $0.id == view.record.policyId] }
            let versions = try await api.store.artifacts().map(\.version)
            values["versions"] = versions
            values["hasVersions"] = !versions.isEmpty
            let bundles = try await api.diagnostics(of: view.record.id)
            values["hasDiagnostics"] = !bundles.isEmpty
            values["diagnostics"] = bundles.map { upload -> [String: Any] in
                [
                    "id": upload.id, "name": upload.name, "ready": upload.status == .ready, "created": RFC3339.string(from: upload.createdAt),
                    "size": upload.size.formatted(.byteCount(style: .file)), "status": upload.status == .ready ? "Ready" : "Uploading",
                ]
            }
            values["flash"] = request.uri.queryParameters.get("flash") ?? ""
            values["nav"] = ["agents": true]
            return try await page("agent", title: view.hostName, values, context: context)
        }
        router.post("agents/:id/reassign") { request, context in
            let id = try context.parameters.require("id")
            let form = try await Self.formBody(request, context: context)
            try await api.reassign(id, to: form.text("policy_id") ?? "", by: try context.requireIdentity())
            return Self.redirect("/agents/\(id)", flash: "The agent was reassigned; it takes the new policy at its next check-in.")
        }
        router.post("agents/:id/upgrade") { request, context in
            let id = try context.parameters.require("id")
            let form = try await Self.formBody(request, context: context)
            let version = form.text("version") ?? ""
            _ = try await api.store.addAction(try await api.upgradeAction(version, agentIds: [id]))
            try await api.audit(try context.requireIdentity(), "agents.upgrade", id, detail: "to \(version)")
            return Self.redirect("/agents/\(id)", flash: "The agent was sent an upgrade to \(version); its progress shows here.")
        }
        router.post("agents/:id/request_diagnostics") { request, context in
            let id = try context.parameters.require("id")
            _ = try await Self.formBody(request, context: context)
            _ = try await api.requestDiagnostics(id, by: try context.requireIdentity())
            return Self.redirect("/agents/\(id)", flash: "The agent was asked for diagnostics; the bundle shows here once it is uploaded.")
        }
        router.post("agents/:id/unenroll") { request, context in
            let id = try context.parameters.require("id")
            let form = try await Self.formBody(request, context: context)
            try await api.unenroll(id, revoke: form["revoke"] == "true", by: try context.requireIdentity())
            return Self.redirect("/agents/\(id)", flash: "The agent was told to unenroll.")
        }
        router.get("add-agent") { request, context in try await addAgentPage(request, context: context) }
    }

    /// One agent's row of the table.
    func row(_ view: AgentView, policyName: String) -> [String: Any] {
        var row: [String: Any] = [
            "id": view.record.id, "shortId": String(view.record.id.prefix(8)), "status": view.status, "statusLabel": view.statusLabel,
            "host": view.hostName, "policyName": policyName, "revision": view.record.policyRevision.map(String.init) ?? "—",
            "outdated": view.isOutdated && view.status != "unenrolled", "version": view.version,
            "lastCheckin": view.record.lastCheckinAt.map { RFC3339.string(from: $0) } ?? "never",
            "lastCheckinRelative": Self.relative(view.record.lastCheckinAt, now: view.now), "tags": view.record.tags,
        ]
        if let upgrade = view.upgradeText {
            row["upgrade"] = upgrade
            row["upgradeClass"] = view.upgradeDetails?.upgradeState == .failed ? "warn" : ""
        }
        if let subject = view.record.certificateSubject {
            row["certificate"] = subject
            if let days = view.certificateDaysLeft {
                row["certificateExpiry"] = days < 0 ? "expired" : days == 0 ? "expires today" : "expires in \(days) days"
                row["certificateClass"] = days < 14 ? "warn" : ""
            }
        }
        return row
    }

    /// The full `flotilla install` command for a policy and a Fleet Server host, every TLS flag the host needs
    /// filled in, with a new one-use token.
    func addAgentPage(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let policies = try await api.store.policies().filter { !$0.isFleetServerPolicy }
        let hosts = try await api.settings.fleetServerHosts()
        let policyId = query.get("policy") ?? policies.first?.id ?? ""
        let hostId = query.get("host") ?? hosts.first(where: \.isDefault)?.id ?? hosts.first?.id ?? ""
        var values: [String: Any] = [
            "policyOptions": policies.map { ["id": $0.id, "name": $0.name, "selected": $0.id == policyId] },
            "hostOptions": hosts.map { ["id": $0.id, "name": "\($0.name) (\($0.hostURLs.first ?? ""))", "selected": $0.id == hostId] },
            "nav": ["agents": true],
        ]
        if hosts.isEmpty {
            values["error"] = "Add a Fleet Server host under Settings first: the command needs its URL and TLS settings."
        } else if query.get("policy") != nil, let host = hosts.first(where: { $0.id == hostId }), let policy = policies.first(where: { $0.id == policyId }) {
            let made = try await api.createEnrollmentKey(["policy_id": .string(policy.id), "name": .string("add-agent-\(Int(Date().timeIntervalSince1970))"), "max_uses": 1], by: try context.requireIdentity())
            let proxy = try await api.settings.proxies().first { $0.id == host.proxyId }
            values["command"] = InstallCommand(host: host, proxy: proxy, token: made.secret).text
            values["mutual"] = host.ssl?.clientAuth == "required"
            values["policyName"] = policy.name
            values["policyId"] = policy.id
            values["known"] = try await api.store.agents().filter { $0.policyId == policy.id }.count
        }
        return try await page("addAgent", title: "Add agent", values, context: context)
    }
}
