import FleetStore
import FleetTLS
import Foundation

extension FleetServer {
    /// The listener's settings before the console's `server.ssl`: the configured ones, with the next certificate in
    /// place once the store's Fleet Server CA rotation has reached phase 2 (and this server was given one).
    var listenerBase: TLSSettings {
        var settings = configuration.tls
        if let rotation = serverRotation.withLock({ $0 }), rotation.phase != .distribute,
           let certificate = configuration.nextCertificate, let key = configuration.nextKey {
            settings.certificate = certificate
            settings.key = key
        }
        return settings
    }

    /// Follows the store's Fleet Server CA rotation every two seconds, until cancelled: agents are sent the phase's
    /// CAs (by `PolicyBuilder`), and the listener presents the next certificate from phase 2 on.
    func followServerCARotation(every interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            let read: ServerCARotation??
            do { read = .some(try await store.serverCARotation()) } catch { read = nil }
            if let stored = read, stored != serverRotation.withLock({ $0 }) {
                let presentedBefore = listenerBase
                serverRotation.withLock { $0 = stored }
                if let stored { logger.notice("Fleet Server CA rotation: phase \(stored.phase.number), \(stored.phase.summary)") }
                if let tls, listenerBase != presentedBefore {
                    if case .failure(let error) = tls.reload(listenerBase) {
                        logger.error("The next Fleet Server certificate does not load, so the current one stays: \(error.description)")
                    } else {
                        logger.notice("The listener presents \(listenerBase.certificate == configuration.nextCertificate ? "the next certificate (--fleet-server-next-cert)" : "its configured certificate again") to new connections")
                    }
                    await applyOwnPolicy()
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
