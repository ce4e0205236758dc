import FleetTLS
import Foundation

/// Where Fleet Server keeps its state. SQLite (embedded) now; PostgreSQL (several Fleet Servers) implements the same.
///
/// Changes that agents must hear about (a new policy revision, a new action) are announced on `changes`, so a
/// Fleet Server wakes waiting check-ins from one notification instead of querying per agent.
public protocol Store: Sendable {
    /// Where the store is, for messages: a path or a URL without secrets.
    var description: String { get }

    /// Fails when the store cannot be reached; `/api/status` reports DEGRADED then.
    func ping() async throws

    /// Hears of changes committed by other processes and announces them on `changes`, until cancelled.
    func run() async

    // Policies
    func policy(id: String) async throws -> PolicyRecord?
    func policies() async throws -> [PolicyRecord]
    /// Creates the policy, or replaces its body and raises its revision. Returns what was stored.
    @discardableResult
    func savePolicy(_ policy: PolicyRecord) async throws -> PolicyRecord
    /// Deletes a policy with no agents on it, and its enrollment tokens. Returns false when agents still use it.
    func deletePolicy(id: String) async throws -> Bool

    // Enrollment tokens
    func createEnrollmentToken(_ token: EnrollmentTokenRecord) async throws
    func enrollmentTokens() async throws -> [EnrollmentTokenRecord]
    func enrollmentToken(secretHash: String) async throws -> EnrollmentTokenRecord?
    /// One enrollment in one transaction: a use of its token (refused past `maxUses`, when revoked or expired),
    /// the agent (replacing one with the same id only when the replace token matches) and its issued certificate.
    /// Anything but `.enrolled` wrote nothing, and a failure part way writes nothing either.
    func enroll(_ enrollment: EnrollmentRecord) async throws -> EnrollmentOutcome
    func revokeEnrollmentToken(id: String) async throws -> Bool

    // Service tokens (what a Fleet Server presents to the store)
    func addServiceToken(name: String, secretHash: String) async throws
    func serviceTokenExists(secretHash: String) async throws -> Bool
    func serviceTokens() async throws -> [ServiceTokenRecord]
    /// Revokes a service token by name; a Fleet Server using it stops. Returns false when there is none.
    func revokeServiceToken(name: String) async throws -> Bool

    // Agents
    func createAgent(_ agent: AgentRecord) async throws
    /// Replaces an agent record whole (re-enrollment with the same id).
    func replaceAgent(_ agent: AgentRecord) async throws
    func agent(id: String) async throws -> AgentRecord?
    func agent(apiKeyId: String) async throws -> AgentRecord?
    func agents() async throws -> [AgentRecord]
    /// Revokes the agent's API key and the certificates issued to it, and announces `.revocation`.
    func revokeAgentKey(agentId: String) async throws
    /// Marks the agent unenrolled, revoking its key and its issued certificates (announced as `.revocation`).
    func markUnenrolled(agentId: String, at: Date) async throws
    /// Moves an agent to another policy and sets its tags; it is sent the new policy on its next check-in.
    func assignAgent(id: String, policyId: String, tags: [String]) async throws
    /// Writes many check-ins in one transaction.
    func recordCheckins(_ checkins: [CheckinRecord]) async throws
    /// The agent applied `revision` of `policyId`: kept (never lowered) while the agent stays on that policy, so
    /// every Fleet Server knows what an agent that does not send `policy_revision_idx` runs.
    func recordPolicyAcknowledged(agentId: String, policyId: String, revision: Int) async throws

    // Issued client certificates
    func recordIssuedCertificate(_ certificate: IssuedCertificateRecord) async throws
    /// Certificates issued to `agentId` (every agent's when nil), newest first.
    func issuedCertificates(agentId: String?) async throws -> [IssuedCertificateRecord]
    /// Fingerprints of revoked certificates that have not expired at `now`: what handshakes must refuse.
    func revokedCertificateFingerprints(now: Date) async throws -> Set<String>

    // Actions
    /// Stores the action and returns it with its sequence number.
    func addAction(_ action: ActionRecord) async throws -> ActionRecord
    /// Actions for `agentId` with a sequence above `after`, oldest first, not expired at `now`.
    func actions(forAgent agentId: String, after: Int64, now: Date) async throws -> [ActionRecord]
    func action(id: String) async throws -> ActionRecord?
    func recordResults(_ results: [ActionResultRecord]) async throws
    func results(actionId: String) async throws -> [ActionResultRecord]

    // Console settings and audit
    func consoleObjects(kind: String) async throws -> [ConsoleObjectRecord]
    func consoleObject(kind: String, id: String) async throws -> ConsoleObjectRecord?
    /// Creates or replaces one setting.
    func saveConsoleObject(_ object: ConsoleObjectRecord) async throws
    /// Returns false when there was none.
    func deleteConsoleObject(kind: String, id: String) async throws -> Bool
    /// Appends to the audit log and returns the entry with its sequence.
    @discardableResult
    func appendAudit(_ entry: AuditRecord) async throws -> AuditRecord
    /// The newest `limit` entries, newest first.
    func auditLog(limit: Int) async throws -> [AuditRecord]

    /// Policy and action changes, as they are committed (by this process, or by another on the same store).
    var changes: StoreChanges { get }

    /// Reaches the store with new TLS settings, after checking they work; nothing changes when they do not.
    func relink(tls: TLSSettings) async throws(FlotillaError)

    func close() async throws
}

extension Store {
    /// An embedded store has no link to change.
    public func relink(tls: TLSSettings) async throws(FlotillaError) {}
}

/// A change agents must hear about.
public enum StoreChange: Sendable, Equatable {
    case policy(id: String, revision: Int)
    case action(sequence: Int64, agentIds: [String])
    /// Certificates were revoked: Fleet Servers read the revocation list again and close their connections.
    case revocation
    /// The store cannot be reached: waiting check-ins are answered now rather than left to time out, and agents
    /// retry with backoff. Changes made meanwhile are announced once it is back.
    case unavailable
}

/// Fans store changes out to listeners (the check-in hub). Listeners are called in commit order.
public final class StoreChanges: Sendable {
    private let listeners = LockedBox<[@Sendable (StoreChange) -> Void]>([])

    public init() {}

    public func listen(_ listener: @escaping @Sendable (StoreChange) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    public func publish(_ change: StoreChange) {
        for listener in listeners.withLock({ $0 }) { listener(change) }
    }
}

/// A small lock around a value; Foundation's NSLock keeps this module free of NIO.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
