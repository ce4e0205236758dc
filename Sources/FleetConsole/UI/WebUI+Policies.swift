import FleetProtocol
import Foundation
import Hummingbird

extension WebUI {
    func addPolicyPages(to router: Router<ConsoleRequestContext>) {
        router.get("policies") { _, context in try await policiesPage(context: context) }
        router.get("policies/:id") { _, context in
            let id = try context.parameters.require("id")
            let settings = try await api.settings.policySettings().first { $0.id == id }
            guard id == "new" || settings != nil else { throw ConsoleError.notFound("The agent policy \(id)") }
            return try await policyForm(id: id, settings.map { try JSONValue(encoding: $0) }, context: context)
        }
        router.post("policies/:id") { request, context in
            let id = try context.parameters.require("id")
            let form = try await Self.formBody(request, context: context)
            var monitoring: [JSONValue] = []
            if form["monitor_logs"] == "true" { monitoring.append("logs") }
            if form["monitor_metrics"] == "true" { monitoring.append("metrics") }
            var changes: JSONValue = ["monitoring_enabled": .array(monitoring)]
            for field in ["name", "description", "namespace", "fleet_server_host_id", "data_output_id", "monitoring_output_id"] {
                changes[field] = form.text(field).map { .string($0) } ?? .null
            }
            do {
                _ = try await api.savePolicy(id: id == "new" ? nil : id, changes: changes, by: try context.requireIdentity())
                return Self.redirect("/policies", flash: "The agent policy was saved.")
            } catch let error as ConsoleError {
                return try await policyForm(id: id, changes, context: context, error: error)
            }
        }
    }

    func policiesPage(context: ConsoleRequestContext) async throws -> Response {
        let hosts = try await api.settings.fleetServerHosts(), outputs = try await api.settings.outputs()
        let composer = PolicyComposer(hosts: hosts, outputs: outputs, proxies: [])
        let rows: [[String: Any]] = try await api.policyRows().map { row in
            let policy = row.settings
            return [
                "id": policy.id, "name": policy.name, "description": policy.description ?? "", "fleetServer": policy.hasFleetServer,
                "revision": row.record.revision, "agents": row.agents,
                "host": composer.host(for: policy)?.name ?? "Fleet Server's own URLs", "output": composer.dataOutput(for: policy)?.name ?? "—",
                "updated": Self.relative(row.record.updatedAt),
            ]
        }
        return try await page("policies", title: "Agent policies", ["policies": rows, "nav": ["policies": true]], context: context)
    }

    /// The form of a policy's settings; `item` is what is stored, or what was typed when it was refused.
    func policyForm(id: String, _ item: JSONValue?, context: ConsoleRequestContext, error: ConsoleError? = nil) async throws -> Response {
        let hosts = try await api.settings.fleetServerHosts(), outputs = try await api.settings.outputs()
        func options(_ items: [(id: String, name: String)], selected: String?) -> [[String: Any]] {
            items.map { ["id": $0.id, "name": $0.name, "selected": $0.id == selected] }
        }
        let monitoring = item?["monitoring_enabled"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let outputItems = outputs.map { (id: $0.id, name: $0.name) }
        var values: [String: Any] = [
            "title": id == "new" ? "Create agent policy" : "Edit \(item?["name"]?.stringValue ?? id)", "action": "/policies/\(id)",
            "name": item?["name"]?.stringValue ?? "", "description": item?["description"]?.stringValue ?? "",
            "namespace": item?["namespace"]?.stringValue ?? "default",
            "hostOptions": options(hosts.map { (id: $0.id, name: $0.name) }, selected: item?["fleet_server_host_id"]?.stringValue),
            "dataOptions": options(outputItems, selected: item?["data_output_id"]?.stringValue),
            "monitoringOptions": options(outputItems, selected: item?["monitoring_output_id"]?.stringValue),
            "logs": monitoring.contains("logs"), "metrics": monitoring.contains("metrics"), "nav": ["policies": true],
        ]
        if let error { values["error"] = error.message }
        return try await page("policyForm", title: values["title"] as? String ?? "Agent policy", values, context: context, status: error?.status ?? .ok)
    }
}
