import FleetTLS
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import X509

extension FleetServer {
    /// The `/metrics` listener: plain HTTP on `metricsHost:metricsPort` (loopback unless set otherwise), beside
    /// the agent API so a scrape never competes with agents for the TLS listener or needs a client certificate.
    func metricsService(onListening: @escaping @Sendable (Int) async -> Void) -> (any Service)? {
        guard let port = configuration.metricsPort else { return nil }
        let router = Router()
        router.get("/metrics") { [self] _, _ -> Response in
            refreshGauges()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.metricsHost, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
        return MetricsListener(app: app, host: configuration.metricsHost, port: port)
    }

    /// The metrics application, whose failure to listen names its own flag rather than the agent API's.
    struct MetricsListener<App: Service>: Service {
        let app: App
        let host: String
        let port: Int

        func run() async throws {
            do {
                try await app.run()
            } catch let error where ListenFailure.reason(error) != nil {
                throw FlotillaError(
                    "The metrics listener cannot listen on \(host):\(port): \(ListenFailure.reason(error)!)",
                    hint: "choose another --metrics-port or --metrics-host"
                )
            }
        }
    }

    /// The gauges that describe now, read at each scrape.
    func refreshGauges(now: Date = Date()) {
        metrics.connectedAgents.set(Double(openConnections))
        metrics.waitingCheckins.set(Double(waitingCheckins))
        if let files = openFilesLimit {
            metrics.openFilesLimit.set(Double(files.soft))
            metrics.agentCapacity.set(Double(files.agentCapacity))
        }
        if let tls { metrics.certificateDaysLeft("fleet_server", notAfter: tls.identity.certificate.notValidAfter, now: now) }
        if let ca = issuer?.trustedChain.first { metrics.certificateDaysLeft("agent_ca", notAfter: ca.notValidAfter, now: now) }
    }
}
