import FleetProtocol

/// A setting the console keeps and the API edits the same way (Fleet Server hosts, outputs, proxies): listed,
/// read, created, updated in part, deleted, each change checked first and written to the audit log.
protocol ConsoleSetting: Codable, Sendable {
    var id: String { get set }
    var name: String { get }
    static var kind: SettingKind { get }
    /// The fields that may hold secrets, which the store keeps sealed.
    static var secretPaths: [[String]] { get }
    /// Flags only one item may have (`is_default`): setting one clears it on the others.
    static var exclusiveFlags: [String] { get }
    /// What a person calls it, for sentences ("Fleet Server host").
    static var label: String { get }

    /// Refuses a setting that would not work, naming the field.
    func validate(with validator: SettingsValidator) async throws(ConsoleError)
    /// Why it may not be deleted now (a policy or another setting uses it), or nil.
    func deletionBlocker(settings: ConsoleSettings) async throws -> String?
}

extension ConsoleSetting {
    static var exclusiveFlags: [String] { [] }
}

extension FleetServerHost: ConsoleSetting {
    static var kind: SettingKind { .fleetServerHost }
    static var exclusiveFlags: [String] { ["is_default"] }
    static var label: String { "Fleet Server host" }

    func validate(with validator: SettingsValidator) async throws(ConsoleError) {
        try await validator.check(self)
    }

    func deletionBlocker(settings: ConsoleSettings) async throws -> String? {
        let users = try await settings.policySettings().filter { $0.fleetServerHostId == id }
        return users.isEmpty ? nil : "the agent policies \(users.map(\.name).joined(separator: ", ")) use it"
    }
}

extension Output: ConsoleSetting {
    static var kind: SettingKind { .output }
    static var exclusiveFlags: [String] { ["is_default", "is_default_monitoring"] }
    static var label: String { "output" }

    func validate(with validator: SettingsValidator) async throws(ConsoleError) {
        try await validator.check(self)
    }

    func deletionBlocker(settings: ConsoleSettings) async throws -> String? {
        if isDefault { return "it is the default output; make another one the default first" }
        let users = try await settings.policySettings().filter { $0.dataOutputId == id || $0.monitoringOutputId == id }
        return users.isEmpty ? nil : "the agent policies \(users.map(\.name).joined(separator: ", ")) use it"
    }
}

extension FleetProxy: ConsoleSetting {
    static var kind: SettingKind { .proxy }
    static var label: String { "proxy" }

    func validate(with validator: SettingsValidator) async throws(ConsoleError) {
        try validator.check(self)
    }

    func deletionBlocker(settings: ConsoleSettings) async throws -> String? {
        let hosts = try await settings.fleetServerHosts().filter { $0.proxyId == id }.map(\.name)
        let outputs = try await settings.outputs().filter { $0.proxyId == id }.map(\.name)
        let users = hosts + outputs
        return users.isEmpty ? nil : "\(users.joined(separator: ", ")) use it; remove it from them first"
    }
}
