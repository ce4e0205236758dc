import FleetProtocol
import FleetStore
import FleetTLS
import Foundation

extension FleetServer {
    /// The policy this server serves under, whose `fleet-server` input carries the listener settings the console
    /// sets on the Fleet Server host (`server.ssl`).
    var ownPolicyId: String { configuration.policyId ?? StoreSetup.fleetServerPolicyId }

    /// Applies the listener settings of its own policy now and after each change of it, until cancelled.
    func followOwnPolicy() async {
        await applyOwnPolicy()
        for await _ in ownPolicyChanges.stream {
            await applyOwnPolicy()
        }
    }

    /// Reloads the listener with the policy's `server.ssl` laid over the settings it started with. New connections
    /// get the new context, open ones keep theirs; settings that do not load leave the previous context serving,
    /// and `/api/status` says DEGRADED until a good revision comes.
    func applyOwnPolicy() async {
        guard let tls, let record = try? await store.policy(id: ownPolicyId),
              let body = try? JSONValue(data: Data(record.body.utf8)),
              let ssl = body["inputs"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "fleet-server" })?[["server", "ssl"]]
        else { return }
        let wanted = Self.listenerSettings(ssl, over: configuration.tls)
        guard wanted != tls.settings || listenerProblem.withLock({ $0 }) != nil else { return }
        switch tls.reload(wanted) {
        case .success:
            listenerProblem.withLock { $0 = nil }
            logger.info("Applied the listener settings of policy \(record.id) revision \(record.revision); new connections use them")
        case .failure(let error):
            let problem = FlotillaError(
                "The listener settings of policy \(record.id) revision \(record.revision) do not load, so the previous ones stay in use: \(error.message)",
                hint: "fix the Fleet Server host's SSL options in the console"
            )
            listenerProblem.withLock { $0 = problem }
            logger.error("\(problem.description)")
        }
    }

    /// The console's `server.ssl` (`certificate_authorities`, `certificate`, `key`, `client_authentication`) over the
    /// settings from flags; the key's passphrase file is this host's and stays.
    static func listenerSettings(_ ssl: JSONValue, over base: TLSSettings) -> TLSSettings {
        var settings = base
        if let cas = ssl["certificate_authorities"]?.arrayValue?.compactMap(\.stringValue), !cas.isEmpty { settings.certificateAuthorities = cas }
        if let certificate = ssl["certificate"]?.stringValue { settings.certificate = certificate }
        if let key = ssl["key"]?.stringValue { settings.key = key }
        if let clientAuth = ssl["client_authentication"]?.stringValue.flatMap(TLSSettings.ClientAuth.init(rawValue:)) {
            settings.clientAuth = clientAuth
        }
        return settings
    }
}
