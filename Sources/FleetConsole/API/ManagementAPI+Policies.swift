import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension ManagementAPI {
    func addPolicyRoutes(to api: RouterGroup<ConsoleRequestContext>) {
        api.get("agent_policies") { _, _ in
            let items = try await policyItems()
            return try Self.json(Self.page(items))
        }
        api.post("agent_policies") { request, context in
            let body = try await Self.body(request, context: context)
            let item = try await savePolicy(id: nil, changes: body, by: try context.requireIdentity())
            return try Self.json(["item": item])
        }
        api.get("agent_policies/:id") { _, context in
            let id = try context.parameters.require("id")
            return try Self.json(["item": try await policyItem(id)])
        }
        api.put("agent_policies/:id") { request, context in
            let body = try await Self.body(request, context: context)
            let item = try await savePolicy(id: try context.parameters.require("id"), changes: body, by: try context.requireIdentity())
            return try Self.json(["item": item])
        }
        api.get("agent_policies/:id/full") { _, context in
            // It carries the secrets agents need (inline keys, output API keys): admins only.
            guard try context.requireIdentity().role == .admin else {
                throw ConsoleError(.forbidden, "The full policy holds secrets; only an admin may read it")
            }
            let id = try context.parameters.require("id")
            guard let record = try await store.policy(id: id) else { throw ConsoleError.notFound("The agent policy \(id)") }
            return try Self.json(["item": Self.fullPolicy(record)])
        }
        api.post("agent_policies/delete") { request, context in
            let body = try await Self.body(request, context: context)
            guard let id = body["agentPolicyId"]?.stringValue else { throw ConsoleError.badRequest("agentPolicyId: the field is required") }
            guard let record = try await store.policy(id: id) else { throw ConsoleError.notFound("The agent policy \(id)") }
            guard try await store.deletePolicy(id: id) else {
                throw ConsoleError(.conflict, "The agent policy \(record.name) has agents; reassign or unenroll them first")
            }
            _ = try await settings.delete(.agentPolicy, id: id)
            try await audit(try context.requireIdentity(), "agent_policies.delete", id, detail: record.name)
            return try Self.json(["id": .string(id), "name": .string(record.name)])
        }
    }

    /// The exact policy an agent on it receives, less what a Fleet Server adds itself (`fleet.hosts` from its own
    /// public URLs when the console names no Fleet Server host).
    static func fullPolicy(_ record: PolicyRecord) -> JSONValue {
        var body = (try? JSONValue(data: Data(record.body.utf8))) ?? .object([:])
        body["id"] = .string(record.id)
        body["revision"] = .number(Double(record.revision))
        return body
    }

    /// A policy as the console knows it: its settings, its record, and how many agents run it.
    struct PolicyRow {
        var settings: AgentPolicySettings
        var record: PolicyRecord
        var agents: Int

        /// Kibana's agent policy object.
        var item: JSONValue {
            var item = (try? JSONValue(encoding: settings)) ?? .object([:])
            item["revision"] = .number(Double(record.revision))
            item["updated_at"] = .string(RFC3339.string(from: record.updatedAt))
            item["agents"] = .number(Double(agents))
            item["status"] = "active"
            return item
        }
    }

    func policyRows() async throws -> [PolicyRow] {
        let records = try await store.policies()
        var counts: [String: Int] = [:]
        for agent in try await store.agents() where agent.unenrolledAt == nil { counts[agent.policyId, default: 0] += 1 }
        return zip(try await settings.policySettings(records: records), records).map { PolicyRow(settings: $0, record: $1, agents: counts[$1.id] ?? 0) }
    }

    func policyItems() async throws -> [JSONValue] {
        try await policyRows().map(\.item)
    }

    func policyItem(_ id: String) async throws -> JSONValue {
        guard let row = try await policyRows().first(where: { $0.record.id == id }) else { throw ConsoleError.notFound("The agent policy \(id)") }
        return row.item
    }

    func savePolicy(id: String?, changes: JSONValue, by identity: ConsoleIdentity) async throws -> JSONValue {
        guard changes.objectValue != nil else { throw ConsoleError.badRequest("The request body must be a JSON object") }
        let current = try await settings.policySettings()
        var base: JSONValue = .object([:])
        let policyId: String
        if let id {
            guard let existing = current.first(where: { $0.id == id }) else { throw ConsoleError.notFound("The agent policy \(id)") }
            base = try JSONValue(encoding: existing)
            policyId = id
        } else {
            policyId = try Self.newId(changes["id"]?.stringValue)
            guard try await store.policy(id: policyId) == nil else { throw ConsoleError(.conflict, "An agent policy with id \(policyId) already exists") }
        }
        var merged = Self.merge(changes, over: base)
        merged["id"] = .string(policyId)
        for field in ["agents", "revision", "updated_at", "status"] { merged[field] = nil }
        let policy = try merged.decode(AgentPolicySettings.self)
        try await check(policy, among: current)
        try await settings.save(.agentPolicy, id: policyId, try JSONValue(encoding: policy))
        if id == nil {
            try await store.savePolicy(PolicyRecord(id: policyId, name: policy.name, isFleetServerPolicy: policy.hasFleetServer))
        }
        let touched = try await publisher.publish()
        try await audit(identity, "agent_policies.\(id == nil ? "create" : "update")", policyId, detail: Self.detail(name: policy.name, policies: touched))
        return try await policyItem(policyId)
    }

    func check(_ policy: AgentPolicySettings, among current: [AgentPolicySettings]) async throws {
        guard !policy.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ConsoleError.badRequest("name: must not be empty") }
        if current.contains(where: { $0.name == policy.name && $0.id != policy.id }) {
            throw ConsoleError(.conflict, "name: there is already an agent policy named \(policy.name)")
        }
        guard policy.namespace.range(of: "^[a-z0-9_]{1,100}$", options: .regularExpression) != nil else {
            throw ConsoleError.badRequest("namespace: use lowercase letters, digits and _ (like default)")
        }
        if let hostId = policy.fleetServerHostId, try await settings.item(.fleetServerHost, id: hostId) == nil {
            throw ConsoleError.badRequest("fleet_server_host_id: there is no Fleet Server host \(hostId)")
        }
        for (field, outputId) in [("data_output_id", policy.dataOutputId), ("monitoring_output_id", policy.monitoringOutputId)] {
            if let outputId, try await settings.item(.output, id: outputId) == nil {
                throw ConsoleError.badRequest("\(field): there is no output \(outputId)")
            }
        }
        guard policy.inactivityTimeout > 0 else { throw ConsoleError.badRequest("inactivity_timeout: must be a number of seconds above 0") }
        for value in policy.monitoringEnabled where value != "logs" && value != "metrics" {
            throw ConsoleError.badRequest("monitoring_enabled: may hold logs and metrics, not \(value)")
        }
    }
}
