import FleetProtocol
import Foundation
import Hummingbird

extension WebUI {
    /// Add Fleet Server: the seed's install command for a Fleet Server host, with a new service token.
    func addFleetServerPage(to router: Router<ConsoleRequestContext>) {
        router.get("add-fleet-server") { request, context in
            try await fleetServerPage(hostId: request.uri.queryParameters.get("host"), token: nil, context: context)
        }
        router.post("add-fleet-server") { request, context in
            let hostId = request.uri.queryParameters.get("host")
            let host = try await fleetServerHost(hostId)
            let made = try await api.createServiceToken(name: "fleet-server-\(host.id.prefix(8))-\(Int(Date().timeIntervalSince1970))", by: try context.requireIdentity())
            return try await fleetServerPage(hostId: hostId, token: made, context: context)
        }
    }

    func fleetServerHost(_ id: String?) async throws -> FleetServerHost {
        let hosts = try await api.settings.fleetServerHosts()
        guard let host = hosts.first(where: { $0.id == id }) ?? (id == nil ? hosts.first(where: \.isDefault) ?? hosts.first : nil) else {
            throw ConsoleError.notFound("The Fleet Server host \(id ?? "(none yet: add one under Settings)")")
        }
        return host
    }

    func fleetServerPage(hostId: String?, token: (name: String, secret: String)?, context: ConsoleRequestContext) async throws -> Response {
        let host = try await fleetServerHost(hostId)
        let policies = try await api.settings.policySettings().filter(\.hasFleetServer)
        let policy = policies.first { $0.fleetServerHostId == host.id } ?? policies.first
        var values: [String: Any] = [
            "hostId": host.id, "hostName": host.name, "url": host.hostURLs.first ?? "",
            "mutual": host.ssl?.clientAuth == "required" || host.ssl?.clientAuth == "optional", "nav": ["settings": true],
        ]
        if let token {
            values["token"] = token.secret
            values["tokenName"] = token.name
            values["command"] = FleetServerInstallCommand(host: host, policyId: policy?.id ?? "fleet-server-policy", store: api.store.description).text
        }
        return try await page("addFleetServer", title: "Add Fleet Server", values, context: context)
    }
}
