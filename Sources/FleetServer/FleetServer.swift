import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// A Fleet Server: the agent API on its listener, the check-in hub, the batched bookkeeping and the store.
public final class FleetServer: Sendable {
    /// The version `/api/status` reports to authenticated agents.
    public static let AgentAPIVersion = FlotillaVersion.current
    public let configuration: FleetServerConfiguration
    public let store: any Store
    public let tls: TLSServerContext?
    let hub = CheckinHub()
    /// The policies agents receive, each revision read and encoded once.
    let policies: PolicyCache
    /// What `/metrics` reports, when `metricsPort` is set.
    public let metrics: FleetServerMetrics
    /// Each connection's client certificate; a revoked one is refused at its handshake.
    let identities: PeerIdentities
    /// Signs agents' certificates, when the configuration names an agent CA; follows the store's CA rotation.
    let authority: AgentCertificateAuthority?
    /// The CA that signs agents' certificates now.
    public var issuer: AgentCertificateIssuer? { authority?.issuer }
    let revocations = RevocationList()
    /// The port the listener is bound to, once it is.
    let listeningPort = LockedBox<Int?>(nil)
    /// The open-files limit in force once the server started, and the fleet it allows.
    public var openFilesLimit: OpenFilesLimit? { openFiles.withLock { $0 } }
    let openFiles = LockedBox<OpenFilesLimit?>(nil)
    /// The store's Fleet Server CA rotation, as last read.
    let serverRotation = LockedBox<ServerCARotation?>(nil)
    let batcher: CheckinBatcher
    let logger: Logger
    /// The running service group, so `stop()` can shut it down as SIGTERM would.
    let running = LockedBox<ServiceGroup?>(nil)
    /// Why the server stopped itself (its service token was revoked), reported by `run` once it has stopped.
    let stoppedBecause = LockedBox<FlotillaError?>(nil)
    /// Why the listener still serves an earlier context: the policy's settings did not load. Nil when all is applied.
    let listenerProblem = LockedBox<FlotillaError?>(nil)
    /// Why the store link kept its earlier settings; and the settings it uses, once the policy changed them.
    let storeLinkProblem = LockedBox<FlotillaError?>(nil)
    let appliedStoreTLS = LockedBox<TLSSettings?>(nil)
    /// Told when this server's own policy changes.
    let ownPolicyChanges = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    /// Finished when the graceful shutdown begins.
    let stopping: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream.makeStream()

    /// Checks everything before serving: TLS files, the store, the service token. Fails with one sentence.
    public init(configuration: FleetServerConfiguration, logger: Logger) async throws(FlotillaError) {
        self.configuration = configuration
        self.logger = logger
        let metrics = FleetServerMetrics()
        self.metrics = metrics
        guard configuration.maxActiveRequests >= 1 else {
            throw FlotillaError(
                "max_active_requests is \(configuration.maxActiveRequests): the Fleet Server would refuse every request",
                hint: "set it to 1 or more in the configuration file (default 512)"
            )
        }
        let authority = try configuration.agentCertificates.map { settings throws(FlotillaError) in try AgentCertificateAuthority(settings: settings) }
        if authority != nil, configuration.insecureHTTP {
            throw FlotillaError("An agent CA needs TLS: agents' certificates cannot be checked over plain HTTP", hint: "remove --insecure-http or the agent CA")
        }
        self.authority = authority
        if configuration.insecureHTTP {
            tls = nil
        } else {
            // The agent CA's certificates are trusted as client certificates whatever the client CAs say.
            tls = try TLSServerContext(settings: configuration.tls, role: "Fleet Server", issuingAuthorities: authority?.initialTrust ?? [])
        }
        if configuration.nextCertificate != nil || configuration.nextKey != nil {
            guard let certificate = configuration.nextCertificate, let key = configuration.nextKey else {
                throw FlotillaError("--fleet-server-next-cert and --fleet-server-next-cert-key go together", hint: "give both, or neither")
            }
            _ = try TLSIdentity.load(
                certificate: certificate, key: key, passphrasePath: configuration.tls.keyPassphrasePath,
                role: "next Fleet Server certificate (--fleet-server-next-cert, --fleet-server-next-cert-key)"
            )
        }
        let revocations = self.revocations
        identities = PeerIdentities(refusal: { revocations.refusal($0) })
        let store = try await configuration.openStore(logger: logger)
        if let problem = await Self.problem(serving: configuration, from: store) {
            try? await store.close()
            throw problem
        }
        self.store = store
        if let authority, let rotation = try? await store.agentCARotation() {
            do { try authority.apply(rotation, to: tls) } catch {
                logger.error("Agent CA rotation not followed: \(error.description)")
            }
        }
        await revocations.refresh(from: store, logger: logger)
        let rows = metrics.bookkeepingWrites
        batcher = CheckinBatcher(
            store: store, interval: .seconds(configuration.checkinFlushSeconds), logger: logger,
            written: { rows.increment(by: Int64($0)) }
        )
        // The cache forgets a changed policy before the hub wakes its agents, so they all find the new revision.
        let policies = PolicyCache(store: store, fleetHosts: configuration.publicURLs)
        self.policies = policies
        store.changes.listen { [hub] change in
            policies.handle(change)
            hub.handle(change)
        }
        let identities = self.identities
        store.changes.listen { change in
            guard change == .revocation else { return }
            Task {
                await revocations.refresh(from: store, logger: logger)
                // Connections already open keep the identity of their handshake: close those now refused.
                for (identity, reason) in identities.closeRefused() {
                    logger.warning("Closed the connection of \(identity.subject ?? "?") from \(identity.address): \(reason)")
                }
            }
        }
        let ownPolicy = configuration.policyId ?? StoreSetup.fleetServerPolicyId, changed = ownPolicyChanges.continuation
        store.changes.listen { change in
            if case .policy(let id, _) = change, id == ownPolicy { changed.yield() }
        }
    }

    /// Why this configuration cannot serve from `store`: no service token, one the store does not know (or was
    /// revoked), or a Fleet Server policy that does not exist.
    static func problem(serving configuration: FleetServerConfiguration, from store: any Store) async -> FlotillaError? {
        guard let token = configuration.serviceToken, !token.isEmpty else {
            return FlotillaError("No service token was given", hint: "pass --fleet-server-service-token or --fleet-server-service-token-path (flotilla server init prints one)")
        }
        let known: Bool
        do {
            known = try await store.serviceTokenExists(secretHash: Secrets.hash(token))
        } catch {
            return FlotillaError("The store \(store.description) could not be read (\(error))", hint: "check that it runs")
        }
        guard known else {
            return FlotillaError("The service token is not known to the store \(store.description), or was revoked", hint: "use the token flotilla server init printed for this store, or make one with flotilla server init")
        }
        if let policyId = configuration.policyId, (try? await store.policy(id: policyId)) == nil {
            return FlotillaError("The Fleet Server policy \(policyId) does not exist in the store", hint: "check --fleet-server-policy")
        }
        return nil
    }

    /// Serves until SIGTERM/SIGINT (or the task is cancelled): then stops accepting, answers waiting check-ins with
    /// nothing new, writes pending bookkeeping and closes the store.
    /// - Parameters:
    ///   - onListening: told the agent API's bound port.
    ///   - onMetricsListening: told the `/metrics` listener's bound port, when `metricsPort` is set.
    public func run(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in },
        onMetricsListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let router = Router(context: FleetRequestContext.self)
        let peers = PeerIdentityMiddleware(
            identities: identities, trustedProxies: try configuration.trustedProxyRanges(),
            header: try configuration.clientCertificateHeaderName(), tls: tls, logger: logger
        )
        AgentAPI(
            store: store, hub: hub, policies: policies, batcher: batcher, peers: peers, configuration: configuration, authority: authority,
            revocations: revocations, problems: [listenerProblem, storeLinkProblem], metrics: metrics, logger: logger
        ).addRoutes(to: router)
        if configuration.insecureHTTP {
            logger.warning("Serving plain HTTP (--insecure-http): agents' keys and policies cross the network unencrypted")
        }
        if let files = OpenFilesLimit.raise() {
            openFiles.withLock { $0 = files }
            logger.info("Fleet Server \(files.described)")
        }
        let app = Application(
            router: router,
            server: serverBuilder(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [BackgroundWork(server: self)],
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? 0
                listeningPort.withLock { $0 = port }
                await publishCertificates(port: port)
                await onListening(port)
            },
            logger: logger
        )
        // Services shut down in reverse order: the notice goes first, before the listener closes.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let metricsListener = metricsService(onListening: onMetricsListening) {
            services.append(.init(service: metricsListener))
        }
        services.append(.init(service: StoppingNotice(server: self), successTerminationBehavior: .ignore))
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        running.withLock { $0 = group }
        do {
            try await group.run()
            if let reason = stoppedBecause.withLock({ $0 }) { throw reason }
        } catch let error where ListenFailure.reason(error) != nil {
            let reason = ListenFailure.reason(error)!
            throw FlotillaError("Fleet Server cannot listen on \(configuration.host):\(configuration.port): \(reason)", hint: "choose another --fleet-server-port or --fleet-server-host")
        }
    }

    /// Shuts down as SIGTERM does: stop accepting, answer waiting check-ins, write bookkeeping, close the store.
    public func stop() async {
        await running.withLock { $0 }?.triggerGracefulShutdown()
    }

    /// Returns when the server begins to shut down (or the caller is cancelled), so work that depends on it can
    /// end before the listener closes. For one caller: the agent running this server.
    public func waitUntilStopping() async {
        for await _ in stopping.stream {}
    }

    func serverBuilder() -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        let identities = self.identities, logger = self.logger, metrics = self.metrics
        return HTTPServerBuilder { responder in
            TLSServerChannel(
                base: HTTP1Channel(responder: responder), tls: tls, identities: identities, logger: logger,
                onFailure: { metrics.handshakeFailed(reason: $0.rawValue) }
            )
        }
    }

    /// Checks now and then that the store still accepts this server's service token; a revoked token stops the
    /// server (as SIGTERM would) and `run` throws why. A store that cannot be read proves nothing and is skipped.
    func watchServiceToken() async {
        guard let token = configuration.serviceToken else { return }
        while (try? await Task.sleep(for: .seconds(configuration.serviceTokenCheckSeconds))) != nil {
            guard let known = try? await store.serviceTokenExists(secretHash: Secrets.hash(token)), !known else { continue }
            let reason = FlotillaError("Fleet Server stopped: its service token was revoked in the store \(store.description)", hint: "start it with a valid token (flotilla server service-tokens create)")
            logger.critical("\(reason.description)")
            stoppedBecause.withLock { $0 = reason }
            await stop()
            return
        }
    }

    /// How many TLS connections are open now.
    public var openConnections: Int { identities.count }

    /// How many check-ins are waiting now.
    public var waitingCheckins: Int { hub.waitingCount }

    /// Tells `waitUntilStopping()` that the graceful shutdown has begun.
    struct StoppingNotice: Service {
        let server: FleetServer

        func run() async throws {
            try? await ServiceLifecycle.gracefulShutdown()
            server.stopping.continuation.finish()
        }
    }

    /// The loops that run beside the listener, and the orderly end of the store.
    struct BackgroundWork: Service {
        let server: FleetServer

        func run() async throws {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await server.hub.runSweeper() }
                group.addTask { await server.batcher.run() }
                group.addTask { await server.store.run() }
                group.addTask { await server.watchServiceToken() }
                group.addTask { await server.followOwnPolicy() }
                group.addTask { await server.followServerCARotation() }
                if let authority = server.authority {
                    group.addTask { await authority.follow(server.store, tls: server.tls, logger: server.logger) }
                }
                try? await ServiceLifecycle.gracefulShutdown()
                server.hub.shutdown()
                group.cancelAll()
            }
            await server.batcher.finalFlush()
            try await Task { try await server.store.close() }.value
            server.logger.info("Fleet Server stopped; pending check-ins were written and the store closed")
        }
    }
}
