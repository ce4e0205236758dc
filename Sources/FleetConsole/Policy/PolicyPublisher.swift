import FleetProtocol
import FleetStore
import Foundation

/// Writes the policies a settings change touches. Every policy is composed again and only those whose body
/// changed are saved: saving raises the revision and announces it, so each Fleet Server hands it out.
struct PolicyPublisher: Sendable {
    let settings: ConsoleSettings

    /// Composes every policy from the current settings and saves the changed ones. Returns their ids.
    @discardableResult
    func publish() async throws -> [String] {
        let composer = try await composer()
        var changed: [String] = []
        let records = try await settings.store.policies()
        // During a Fleet Server CA rotation the policies carry its CAs; a composed policy keeps them.
        let rotation = try await settings.store.serverCARotation()
        for (policy, record) in zip(try await settings.policySettings(records: records), records) {
            var body = String(decoding: try composer.body(for: policy).jsonData(), as: UTF8.self)
            if let rotation { body = rotation.applied(toPolicyBody: body) }
            guard body != record.body || policy.name != record.name || policy.hasFleetServer != record.isFleetServerPolicy else { continue }
            try await settings.store.savePolicy(PolicyRecord(id: policy.id, name: policy.name, isFleetServerPolicy: policy.hasFleetServer, body: body))
            changed.append(policy.id)
        }
        return changed
    }

    func composer() async throws -> PolicyComposer {
        PolicyComposer(hosts: try await settings.fleetServerHosts(), outputs: try await settings.outputs(), proxies: try await settings.proxies())
    }
}
