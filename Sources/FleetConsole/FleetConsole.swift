import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The console: the management API and the web UI on their own HTTPS listener, over any store. Everything it
/// changes goes through the store, where the Fleet Servers hear of it, so several consoles and several Fleet
/// Servers can share one PostgreSQL.
public final class FleetConsole: Sendable {
    public let configuration: ConsoleConfiguration
    public let settings: ConsoleSettings
    public let accounts: ConsoleAccounts
    let tls: TLSServerContext?
    let logger: Logger

    /// Checks the listener's TLS files and the secrets key, and gives a store made without the console (by
    /// `flotilla server init`) a default output from its policies, so the first change loses nothing.
    public init(configuration: ConsoleConfiguration, store: any Store, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        tls = configuration.insecureHTTP ? nil : try TLSServerContext(
            settings: configuration.tls, role: "console", fields: TLSFieldNames(
                certificateAuthorities: "certificate_authorities", certificate: "--console-cert", key: "--console-cert-key",
                keyPassphrase: "--console-cert-key-passphrase"
            )
        )
        settings = ConsoleSettings(store: store, box: try SecretBox(keyPath: configuration.secretsKeyPath))
        accounts = ConsoleAccounts(store: store, sessionLifetime: configuration.sessionSeconds)
        try await ConsoleBootstrap(settings: settings).adoptExistingPolicies()
    }

    /// The routes of the API and the UI, for the listener and for tests.
    public func router() -> Router<ConsoleRequestContext> {
        let router = Router(context: ConsoleRequestContext.self)
        // Outermost, so error answers carry the headers too: the error middleware inside turns every error into one.
        router.add(middleware: SecurityHeadersMiddleware(secure: !configuration.insecureHTTP))
        router.add(middleware: ConsoleErrorMiddleware())
        router.add(middleware: AuthenticationMiddleware(accounts: accounts))
        router.get("api/status") { _, _ in
            try ManagementAPI.json(["name": "flotilla-console", "status": "HEALTHY"])
        }
        router.get("api/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: ConsoleOpenAPI.document)))
        }
        let api = ManagementAPI(settings: settings, logger: logger)
        api.addRoutes(to: router)
        WebUI(api: api, accounts: accounts, secureCookies: !configuration.insecureHTTP).addRoutes(to: router)
        return router
    }

    /// The console as a service, for a service group shared with a Fleet Server.
    public func service(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        if configuration.insecureHTTP {
            logger.warning("The console serves plain HTTP (--insecure-http): passwords and session cookies cross the network unencrypted")
        }
        let logger = self.logger, tls = self.tls
        let server: HTTPServerBuilder = tls.map { tls in
            HTTPServerBuilder { responder in TLSServerChannel(base: HTTP1Channel(responder: responder), tls: tls, identities: nil, logger: logger) }
        } ?? .http1()
        return Application(
            router: router(), server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [UpgradeRollouts(store: settings.store, logger: logger)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}
