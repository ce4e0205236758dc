import FleetProtocol
import FleetStore
import FleetTLS
import Foundation

/// The console's settings in the store: each kept as JSON, secrets sealed. Reads give the stored form (for the API,
/// redacted) or the revealed one (for composing policies).
public struct ConsoleSettings: Sendable {
    public let store: any Store
    let box: SecretBox

    public init(store: any Store, box: SecretBox) {
        self.store = store
        self.box = box
    }

    /// The stored items of `kind`, secrets still sealed.
    func items(_ kind: SettingKind) async throws -> [JSONValue] {
        try await store.consoleObjects(kind: kind.rawValue).compactMap { try? JSONValue(data: Data($0.body.utf8)) }
    }

    func item(_ kind: SettingKind, id: String) async throws -> JSONValue? {
        try await store.consoleObject(kind: kind.rawValue, id: id).flatMap { try? JSONValue(data: Data($0.body.utf8)) }
    }

    /// Stores the whole `item` under `id`, its secrets given in their fields and sealed here.
    func save(_ kind: SettingKind, id: String, _ item: JSONValue, secretPaths: [[String]] = []) async throws {
        var sealed = item
        sealed["id"] = .string(id)
        try SecretFields.seal(&sealed, paths: secretPaths, box: box)
        try await replace(kind, sealed)
    }

    /// Writes an item already in its stored form (secrets sealed), as when only a flag of it changes.
    func replace(_ kind: SettingKind, _ stored: JSONValue) async throws {
        let body = String(decoding: try stored.jsonData(), as: UTF8.self)
        try await store.saveConsoleObject(ConsoleObjectRecord(kind: kind.rawValue, id: stored["id"]?.stringValue ?? "", body: body))
    }

    func delete(_ kind: SettingKind, id: String) async throws -> Bool {
        try await store.deleteConsoleObject(kind: kind.rawValue, id: id)
    }

    /// Every item of a kind decoded with its secrets opened: what agents and Fleet Servers are sent.
    func revealed<T: Decodable>(_ kind: SettingKind, as type: T.Type, secretPaths: [[String]]) async throws -> [T] {
        try await items(kind).map { try SecretFields.reveal($0, paths: secretPaths, box: box).decode(T.self) }
    }

    public func fleetServerHosts() async throws -> [FleetServerHost] {
        try await revealed(.fleetServerHost, as: FleetServerHost.self, secretPaths: FleetServerHost.secretPaths)
    }

    public func outputs() async throws -> [Output] {
        try await revealed(.output, as: Output.self, secretPaths: Output.secretPaths)
    }

    public func proxies() async throws -> [FleetProxy] {
        try await revealed(.proxy, as: FleetProxy.self, secretPaths: FleetProxy.secretPaths)
    }

    /// The console's settings of every policy; a policy made without the console (`flotilla server init`) gets
    /// settings derived from its record.
    public func policySettings() async throws -> [AgentPolicySettings] {
        try await policySettings(records: try await store.policies())
    }

    /// The settings of each of `records`, in their order.
    func policySettings(records: [PolicyRecord]) async throws -> [AgentPolicySettings] {
        let stored = Dictionary(
            try await items(.agentPolicy).compactMap { try? $0.decode(AgentPolicySettings.self) }.map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        return records.map { stored[$0.id] ?? Self.derived(from: $0) }
    }

    static func derived(from record: PolicyRecord) -> AgentPolicySettings {
        let body = (try? JSONValue(data: Data(record.body.utf8))) ?? .object([:])
        let inputs = (body["inputs"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "fleet-server" }
        let monitoring = body["agent"]?["monitoring"]
        let monitored = monitoring?["enabled"]?.boolValue == true
            ? ["logs", "metrics"].filter { monitoring?[$0]?.boolValue ?? true } : []
        return AgentPolicySettings(
            id: record.id, name: record.name, hasFleetServer: record.isFleetServerPolicy, monitoringEnabled: monitored, inputs: inputs
        )
    }
}
