import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird

extension ManagementAPI {
    var rollouts: UpgradeRollouts { UpgradeRollouts(store: store, logger: logger) }

    func addUpgradeRoutes(to api: RouterGroup<ConsoleRequestContext>) {
        api.post("agents/:id/upgrade") { request, context in
            let id = try context.parameters.require("id")
            let body = try await Self.body(request, context: context)
            let version = try Self.version(body)
            let view = try await agentView(id)
            guard view.record.unenrolledAt == nil else { throw ConsoleError.badRequest("The agent \(id) is unenrolled and cannot be upgraded") }
            let source = try Self.sourceURI(body)
            _ = try await store.addAction(try await upgradeAction(
                version, agentIds: [id], sourceURI: source, sourceSSL: try Self.sourceSSL(body)
            ))
            try await audit(try context.requireIdentity(), "agents.upgrade", id, detail: "to \(version)")
            return try Self.json(.object([:]))
        }
        api.post("agents/bulk_upgrade") { request, context in
            let body = try await Self.body(request, context: context)
            let version = try Self.version(body)
            let agents = try await bulkAgents(body["agents"])
            guard !agents.isEmpty else { throw ConsoleError.badRequest("agents: no enrolled agent matches") }
            let duration = body["rollout_duration_seconds"]?.doubleValue ?? 0
            guard duration >= 0, duration <= 86_400 * 30 else {
                throw ConsoleError.badRequest("rollout_duration_seconds: give a number of seconds from 0 to 2592000 (30 days)")
            }
            let maxConcurrent = body["max_concurrent"]?.intValue ?? agents.count
            guard maxConcurrent >= 1 else { throw ConsoleError.badRequest("max_concurrent: give at least 1") }
            var startAt = Date()
            if let text = body["start_time"]?.stringValue {
                guard let date = RFC3339.date(from: text) else {
                    throw ConsoleError.badRequest("start_time: \(text.debugDescription) is not an ISO 8601 time like 2026-12-03T14:00:00Z")
                }
                startAt = date
            }
            // Checked now, so a rollout never starts for a version that was not added.
            _ = try await upgradeAction(version, agentIds: [])
            let rollout = UpgradeRollout(
                id: UUID().uuidString.lowercased(), version: version, pending: agents, waves: [], total: agents.count,
                maxConcurrent: maxConcurrent, startAt: startAt, duration: duration, createdBy: try context.requireIdentity().name,
                sourceURI: try Self.sourceURI(body), sourceSSL: try Self.sourceSSL(body)
            )
            try await rollouts.save(rollout)
            try await rollouts.tick()
            try await audit(
                try context.requireIdentity(), "agents.bulk_upgrade", rollout.id,
                detail: "\(agents.count) agents to \(version), at most \(maxConcurrent) at once over \(Int(duration)) s"
            )
            return try Self.json(["actionId": .string(rollout.id)])
        }
        api.get("agents/upgrade_rollouts") { _, _ in
            let items = try await rollouts.rollouts().sorted { $0.startAt > $1.startAt }.map { rollout -> JSONValue in
                let finished = rollout.waves.reduce(0) { $0 + $1.finished.count }
                return [
                    "id": .string(rollout.id), "version": .string(rollout.version), "total": .number(Double(rollout.total)),
                    "sent": .number(Double(rollout.total - rollout.pending.count)), "finished": .number(Double(finished)),
                    "max_concurrent": .number(Double(rollout.maxConcurrent)), "rollout_duration_seconds": .number(rollout.duration),
                    "start_time": .string(RFC3339.string(from: rollout.startAt)), "done": .bool(rollout.isDone),
                ]
            }
            return try Self.json(Self.page(items))
        }
    }

    /// `source_uri`, when given: an https:// URL of the binary itself.
    static func sourceURI(_ body: JSONValue) throws -> String? {
        guard let value = body["source_uri"], !value.isNull else { return nil }
        guard let text = value.stringValue, let url = URL(string: text), url.scheme == "https", url.host != nil else {
            throw ConsoleError.badRequest("source_uri: give the https:// URL of the agent binary, or leave it out to download from Fleet Server")
        }
        return text
    }

    /// `source_ssl`, when given: the download source's TLS settings, checked the way an output's `ssl` is.
    static func sourceSSL(_ body: JSONValue) throws -> JSONValue? {
        guard let value = body["source_ssl"], !value.isNull else { return nil }
        do {
            let settings = try value.decode(TLSSettings.self)
            for ca in settings.certificateAuthorities { _ = try CertificateFiles.loadAuthorities([ca], role: "source_ssl.certificate_authorities") }
        } catch let error as FlotillaError {
            throw ConsoleError.field("source_ssl", error)
        } catch {
            throw ConsoleError.badRequest("source_ssl: give certificate_authorities (PEM), ca_trusted_fingerprint or verification_mode, as for an output's ssl")
        }
        return value
    }

    static func version(_ body: JSONValue) throws -> String {
        guard let version = body["version"]?.stringValue, !version.isEmpty else {
            throw ConsoleError.badRequest("version: the field is required (a version added with flotilla server artifacts add)")
        }
        return version
    }

    /// The UPGRADE action, or a 400 that says what to add first.
    func upgradeAction(
        _ version: String, agentIds: [String], sourceURI: String? = nil, sourceSSL: JSONValue? = nil
    ) async throws -> ActionRecord {
        do {
            return try await store.upgradeAction(version: version, agentIds: agentIds, sourceURI: sourceURI, sourceSSL: sourceSSL)
        } catch let error as FlotillaError {
            throw ConsoleError.field("version", error)
        }
    }

    /// The agents a bulk request names: a list of ids (each enrolled), or a kuery ("" for all).
    func bulkAgents(_ value: JSONValue?) async throws -> [String] {
        let views = try await agentViews().filter { $0.record.unenrolledAt == nil }
        if let ids = value?.arrayValue {
            let known = Set(views.map(\.record.id))
            return try ids.map { item in
                guard let id = item.stringValue else { throw ConsoleError.badRequest("agents: give a list of agent ids or a kuery") }
                guard known.contains(id) else { throw ConsoleError.badRequest("agents: \(id) is not an enrolled agent") }
                return id
            }
        }
        guard let kuery = value?.stringValue else { throw ConsoleError.badRequest("agents: give a list of agent ids or a kuery") }
        return views.filter { kuery.isEmpty || $0.matches(kuery) }.map(\.record.id)
    }
}
