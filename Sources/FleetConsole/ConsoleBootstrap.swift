import FleetProtocol
import FleetStore
import Foundation

/// What the console does once for a store it has not seen: a default output taken from the policies' own
/// (`flotilla server init` writes one), so composing policies from settings keeps what agents already have.
struct ConsoleBootstrap {
    let settings: ConsoleSettings

    func adoptExistingPolicies() async throws {
        guard try await settings.items(.output).isEmpty else { return }
        for record in try await settings.store.policies() {
            let body = (try? JSONValue(data: Data(record.body.utf8))) ?? .object([:])
            guard let (id, output) = body["outputs"]?.objectValue?.sorted(by: { $0.key < $1.key }).first else { continue }
            let hosts = output["hosts"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let type = output["type"]?.stringValue ?? "elasticsearch"
            let path = output["path"]?.stringValue
            guard !hosts.isEmpty || (type == "file" && path != nil) else { continue }
            let adopted = Output(
                id: id, name: id == "default" ? "Default output" : id, type: type, hosts: hosts, isDefault: true,
                isDefaultMonitoring: true, path: path
            )
            try await settings.save(.output, id: id, try JSONValue(encoding: adopted), secretPaths: Output.secretPaths)
            return
        }
    }
}
