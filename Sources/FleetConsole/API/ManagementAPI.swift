import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import Logging

/// The management API under `/api/fleet/...`, in Kibana's names and JSON shapes: Fleet Server hosts, outputs,
/// proxies, agent policies, enrollment API keys, agents and their status counts, and the audit log.
struct ManagementAPI: Sendable {
    let settings: ConsoleSettings
    let logger: Logger

    var store: any Store { settings.store }
    var publisher: PolicyPublisher { PolicyPublisher(settings: settings) }

    func addRoutes(to router: Router<ConsoleRequestContext>) {
        let api = router.group("api/fleet")
        addSettingRoutes(FleetServerHost.self, to: api)
        addSettingRoutes(Output.self, to: api)
        addSettingRoutes(FleetProxy.self, to: api)
        addPolicyRoutes(to: api)
        addEnrollmentKeyRoutes(to: api)
        addAgentRoutes(to: api)
        addUpgradeRoutes(to: api)
        addDiagnosticsRoutes(to: api)
        api.get("audit_log") { request, _ in
            let limit = min(max(request.uri.queryParameters.get("perPage", as: Int.self) ?? 100, 1), 1000)
            let entries = try await store.auditLog(limit: limit).map(\.json)
            return try Self.json(["items": .array(entries), "total": .number(Double(entries.count))])
        }
    }

    // MARK: Settings

    func addSettingRoutes<T: ConsoleSetting>(_ type: T.Type, to api: RouterGroup<ConsoleRequestContext>) {
        let path = RouterPath(stringLiteral: T.kind.resource), item = RouterPath(stringLiteral: T.kind.resource + "/:id")
        api.get(path) { _, _ in
            let items = try await settings.items(T.kind).map { SecretFields.redact($0, paths: T.secretPaths) }
            return try Self.json(Self.page(items))
        }
        api.post(path) { request, context in
            let body = try await Self.body(request, context: context)
            let saved = try await save(T.self, id: nil, changes: body, by: try context.requireIdentity(), force: Self.force(request))
            return try Self.json(["item": saved])
        }
        api.get(item) { _, context in
            let id = try context.parameters.require("id")
            guard let item = try await settings.item(T.kind, id: id) else { throw ConsoleError.notFound("The \(T.label) \(id)") }
            return try Self.json(["item": SecretFields.redact(item, paths: T.secretPaths)])
        }
        api.put(item) { request, context in
            let id = try context.parameters.require("id")
            let body = try await Self.body(request, context: context)
            let saved = try await save(T.self, id: id, changes: body, by: try context.requireIdentity(), force: Self.force(request))
            return try Self.json(["item": saved])
        }
        api.delete(item) { _, context in
            let id = try context.parameters.require("id")
            try await delete(T.self, id: id, by: try context.requireIdentity())
            return try Self.json(["id": .string(id)])
        }
    }

    /// Creates (`id` nil) or updates a setting: the changes are laid over what is stored (a field left out keeps
    /// its value, stored secrets included), checked, run through the pre-flight, stored, and the policies they
    /// touch are written with new revisions. Returns the item as the API shows it.
    func save<T: ConsoleSetting>(_ type: T.Type, id: String?, changes: JSONValue, by identity: ConsoleIdentity, force: Bool) async throws -> JSONValue {
        guard changes.objectValue != nil else { throw ConsoleError.badRequest("The request body must be a JSON object") }
        var previous: JSONValue?
        let itemId: String
        if let id {
            guard let stored = try await settings.item(T.kind, id: id) else { throw ConsoleError.notFound("The \(T.label) \(id)") }
            previous = stored
            itemId = id
        } else {
            itemId = try Self.newId(changes["id"]?.stringValue)
            guard try await settings.item(T.kind, id: itemId) == nil else {
                throw ConsoleError(.conflict, "A \(T.label) with id \(itemId) already exists; update it with PUT")
            }
        }
        var merged = Self.merge(changes, over: previous ?? .object([:]))
        merged["id"] = .string(itemId)
        // A secret given anew (or emptied) replaces the stored one.
        for path in T.secretPaths where changes[path] != nil { merged[["secrets"] + path] = nil }
        let candidate = try SecretFields.reveal(merged, paths: T.secretPaths, box: settings.box).decode(T.self)
        try await candidate.validate(with: SettingsValidator(proxies: try await settings.proxies()))
        if let host = candidate as? FleetServerHost {
            let previousHost = try previous.map { try SecretFields.reveal($0, paths: T.secretPaths, box: settings.box).decode(FleetServerHost.self) }
            let result = try await Preflight(store: store, composer: try await publisher.composer(), policies: try await settings.policySettings())
                .check(old: previousHost, new: host)
            if !result.findings.isEmpty, !force {
                throw ConsoleError(.conflict, result.summary + ". Nothing was saved; fix the settings, or save with force=true to apply anyway", attributes: ["preflight": result.json])
            }
        }
        try await settings.save(T.kind, id: itemId, try JSONValue(encoding: candidate), secretPaths: T.secretPaths)
        try await clearExclusiveFlags(T.self, keeping: itemId, set: merged)
        let touched = try await publisher.publish()
        try await audit(identity, "\(T.kind.resource).\(id == nil ? "create" : "update")", itemId, detail: Self.detail(name: candidate.name, policies: touched))
        return SecretFields.redact(try await settings.item(T.kind, id: itemId) ?? merged, paths: T.secretPaths)
    }

    func delete<T: ConsoleSetting>(_ type: T.Type, id: String, by identity: ConsoleIdentity) async throws {
        guard let stored = try await settings.item(T.kind, id: id) else { throw ConsoleError.notFound("The \(T.label) \(id)") }
        let item = try SecretFields.reveal(stored, paths: T.secretPaths, box: settings.box).decode(T.self)
        if let blocker = try await item.deletionBlocker(settings: settings) {
            throw ConsoleError(.conflict, "The \(T.label) \(item.name) cannot be deleted: \(blocker)")
        }
        _ = try await settings.delete(T.kind, id: id)
        let touched = try await publisher.publish()
        try await audit(identity, "\(T.kind.resource).delete", id, detail: Self.detail(name: item.name, policies: touched))
    }

    /// Only one item may be the default: saving one with the flag clears it on the others.
    func clearExclusiveFlags<T: ConsoleSetting>(_ type: T.Type, keeping id: String, set item: JSONValue) async throws {
        for flag in T.exclusiveFlags where item[flag]?.boolValue == true {
            for var other in try await settings.items(T.kind) where other["id"]?.stringValue != id && other[flag]?.boolValue == true {
                other[flag] = .bool(false)
                try await settings.replace(T.kind, other)
            }
        }
    }

    func audit(_ identity: ConsoleIdentity, _ action: String, _ target: String, detail: String) async throws {
        try await store.appendAudit(AuditRecord(actor: identity.actor, action: action, target: target, detail: detail))
        logger.info("Console change", metadata: ["actor": "\(identity.actor)", "action": "\(action)", "target": "\(target)"])
    }

    static func detail(name: String, policies: [String]) -> String {
        policies.isEmpty ? name : "\(name); new revisions of \(policies.joined(separator: ", "))"
    }

    // MARK: Helpers

    /// Lays `changes` over `base`: objects merge key by key (so `ssl.key` alone can be replaced), other values
    /// replace, and null or an empty string removes a field.
    static func merge(_ changes: JSONValue, over base: JSONValue) -> JSONValue {
        guard let changed = changes.objectValue, var result = base.objectValue else { return changes }
        for (key, value) in changed {
            if value.isNull || value == "" {
                result[key] = nil
            } else if let existing = result[key], existing.objectValue != nil, value.objectValue != nil {
                result[key] = merge(value, over: existing)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    static func newId(_ given: String?) throws -> String {
        guard let given else { return UUID().uuidString.lowercased() }
        guard !given.isEmpty, given.count <= 100, given.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConsoleError.badRequest("id: use letters, digits, - _ and ., at most 100")
        }
        return given
    }

    static func page(_ items: [JSONValue], page: Int = 1, perPage: Int? = nil, total: Int? = nil) -> JSONValue {
        [
            "items": .array(items), "total": .number(Double(total ?? items.count)),
            "page": .number(Double(page)), "perPage": .number(Double(perPage ?? max(items.count, 20))),
        ]
    }

    /// The request's JSON body; an empty body is `{}` when `optional`.
    static func body(_ request: Request, context: ConsoleRequestContext, optional: Bool = false) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0, optional { return .object([:]) }
        guard buffer.readableBytes > 0 else { throw ConsoleError.badRequest("The request needs a JSON body") }
        do {
            return try JSONValue(data: Data(buffer: buffer))
        } catch {
            throw ConsoleError.badRequest("The request body is not JSON")
        }
    }

    static func force(_ request: Request) -> Bool {
        request.uri.queryParameters.get("force") == "true"
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try value.jsonData())))
    }
}

extension AuditRecord {
    var json: JSONValue {
        [
            "sequence": .number(Double(sequence)), "@timestamp": .string(RFC3339.string(from: at)), "actor": .string(actor),
            "action": .string(action), "target": .string(target), "detail": .string(detail),
        ]
    }
}
