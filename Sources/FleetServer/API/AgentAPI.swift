import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import Logging

/// The agents' HTTPS API, as Elastic's contract describes it. Handlers live in one file each.
public struct AgentAPI: Sendable {
    let store: any Store
    let hub: CheckinHub
    let policies: PolicyCache
    let batcher: CheckinBatcher
    /// Puts each request's client certificate into its context.
    let peers: PeerIdentityMiddleware
    let configuration: FleetServerConfiguration
    /// Signs agents' certificates from their CSRs; nil when no agent CA is configured.
    let authority: AgentCertificateAuthority?
    let revocations: RevocationList
    let enrollLimiter: RateLimiter
    let checkinLimiter: RateLimiter
    /// Bounds the requests working at once; the rest are paced with 503.
    let gate: AdmissionGate
    let metrics: FleetServerMetrics
    let logger: Logger

    static let version = FleetServer.AgentAPIVersion

    /// The server's: why its listener or its store link kept earlier settings, reported on `/api/status`.
    let problems: [LockedBox<FlotillaError?>]

    init(
        store: any Store, hub: CheckinHub, policies: PolicyCache, batcher: CheckinBatcher, peers: PeerIdentityMiddleware,
        configuration: FleetServerConfiguration,
        authority: AgentCertificateAuthority?, revocations: RevocationList, problems: [LockedBox<FlotillaError?>],
        metrics: FleetServerMetrics, logger: Logger
    ) {
        self.metrics = metrics
        gate = AdmissionGate(limit: configuration.maxActiveRequests)
        self.authority = authority
        self.revocations = revocations
        self.store = store
        self.problems = problems
        self.hub = hub
        self.policies = policies
        self.batcher = batcher
        self.peers = peers
        self.configuration = configuration
        self.logger = logger
        enrollLimiter = RateLimiter(rate: configuration.enrollRate, burst: configuration.enrollBurst)
        checkinLimiter = RateLimiter(rate: configuration.checkinRate, burst: configuration.checkinBurst)
    }

    func addRoutes(to router: Router<FleetRequestContext>) {
        router.middlewares.add(APIErrorMiddleware())
        router.middlewares.add(peers)
        router.get("/api/status") { request, _ in try await status(request) }
        router.post("/api/fleet/agents/enroll") { request, context in try await enroll(request, context: context) }
        router.post("/api/fleet/agents/:id/checkin") { request, context in try await checkin(request, context: context) }
        router.post("/api/fleet/agents/:id/acks") { request, context in try await acks(request, context: context) }
        router.post("/api/fleet/agents/:id/certificate") { request, context in try await renewCertificate(request, context: context) }
        router.post("/api/fleet/agents/:id/audit/unenroll") { request, context in try await auditUnenroll(request, context: context) }
        router.get("/api/fleet/artifacts/:id/:sha2") { request, context in try await artifact(request, context: context) }
        router.get("/api/agents/upgrades/:version/pgp-public-key") { request, context in try await releaseKey(request, context: context) }
        router.post("/api/fleet/uploads") { request, context in try await uploadBegin(request, context: context) }
        router.put("/api/fleet/uploads/:id/:chunkNum") { request, context in try await uploadChunk(request, context: context) }
        router.post("/api/fleet/uploads/:id") { request, context in try await uploadComplete(request, context: context) }
        router.get("/api/fleet/file/:id") { request, context in try await file(request, context: context) }
    }

    /// `GET /api/status`: HEALTHY while the store answers, DEGRADED with 503 when not. Version only for agents.
    func status(_ request: Request) async throws -> Response {
        var healthy = true
        do {
            try await store.ping()
        } catch {
            healthy = false
            logger.warning("The store does not answer", metadata: ["error": "\(error)"])
        }
        var version: StatusResponseVersion?
        if request.headers[.authorization] != nil, (try? await AgentAuthentication.agent(request, store: store)) != nil {
            version = StatusResponseVersion(number: Self.version)
        }
        // A listener or store link that kept its previous settings still serves: DEGRADED, but answered 200 so
        // agents stay.
        let kept = problems.contains { $0.withLock { $0 } != nil }
        let body = StatusResponse(state: healthy && !kept ? .healthy : .degraded, version: version)
        return try .json(body, status: healthy ? .ok : .serviceUnavailable)
    }

    func agentId(_ context: FleetRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw APIError.badRequest("The agent id is missing from the path") }
        return id
    }
}
