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

    /// Applies the policy's `server.ssl` to the listener and its `server.store.ssl` to the store link.
    func applyOwnPolicy() async {
        guard let record = try? await store.policy(id: ownPolicyId), let body = try? JSONValue(data: Data(record.body.utf8)),
              let server = body["inputs"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "fleet-server" })?["server"]
        else { return }
        if let ssl = server["ssl"] { applyListener(ssl, from: record) }
        if let ssl = server[["store", "ssl"]], configuration.usesPostgres { await applyStoreLink(ssl, from: record) }
    }

    /// Reloads the listener with `ssl` laid over the settings it started with. New connections get the new context,
    /// open ones keep theirs; settings that do not load leave the previous context serving, and `/api/status` says
    /// DEGRADED until a good revision comes.
    func applyListener(_ ssl: JSONValue, from record: PolicyRecord) {
        guard let tls else { return }
        let wanted = Self.listenerSettings(ssl, over: listenerBase)
        guard wanted != tls.settings || listenerProblem.withLock({ $0 }) != nil else { return }
        switch tls.reload(wanted, fields: TLSFieldNames(prefix: "ssl")) {
        case .success:
            listenerProblem.withLock { $0 = nil }
            if let port = listeningPort.withLock({ $0 }) { Task { await publishCertificates(port: port) } }
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

    /// Moves the store link to `ssl` laid over the link's flags, once one connection through it works; a link that
    /// fails keeps the working one, and `/api/status` says DEGRADED until a good revision comes.
    func applyStoreLink(_ ssl: JSONValue, from record: PolicyRecord) async {
        var wanted = Self.listenerSettings(ssl, over: configuration.storeTLS ?? TLSSettings())
        wanted.clientAuth = .none
        guard wanted != appliedStoreTLS.withLock({ $0 }) || storeLinkProblem.withLock({ $0 }) != nil else { return }
        do {
            try await store.relink(tls: wanted)
            appliedStoreTLS.withLock { $0 = wanted }
            storeLinkProblem.withLock { $0 = nil }
            logger.info("The store link uses the settings of policy \(record.id) revision \(record.revision)")
        } catch {
            let problem = FlotillaError(
                "The store link settings of policy \(record.id) revision \(record.revision) do not work, so the working link stays: \(error.message)",
                hint: "fix the Fleet Server host's Elasticsearch SSL options in the console"
            )
            storeLinkProblem.withLock { $0 = problem }
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
