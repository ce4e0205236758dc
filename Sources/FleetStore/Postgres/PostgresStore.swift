import FleetTLS
import Foundation
import Logging
import PostgresNIO

/// The store for more than one machine: PostgreSQL over verified TLS, shared by several Fleet Servers.
///
/// Writes that agents must hear about send `NOTIFY flotilla_changes` in their transaction. Each Fleet Server keeps
/// one connection listening; on every notification, and after every reconnection, it reads what changed since the
/// last position it announced (policy revisions, action sequence), so nothing is missed while a connection was
/// down, and the cost is per change, never per agent.
public final class PostgresStore: Store {
    public let changes = StoreChanges()
    public let link: PostgresLink
    let connections: PostgresConnections
    let logger: Logger
    let announcer: ChangeAnnouncer
    static let channel = "flotilla_changes"
    /// Serializes action inserts, so sequences commit in order and no agent's cursor skips one.
    static let actionsLock: Int64 = 0x666C_6F74_6163_7473

    public var description: String { link.display }

    /// Connects (failing with one sentence), applies pending migrations, and reads the current positions.
    public init(link: PostgresLink, logger: Logger) async throws(FlotillaError) {
        self.link = link
        self.logger = logger
        connections = PostgresConnections(link: link, logger: logger)
        announcer = ChangeAnnouncer(changes: changes)
        do {
            try await connections.withConnection { connection in
                try await PostgresSchema.migrate(connection, logger: logger)
            }
            announcer.start(at: try await readPositions())
        } catch let error as FlotillaError {
            await connections.close()
            throw error
        } catch {
            await connections.close()
            let reason = (error as? PSQLError)?.serverInfo?[.message] ?? "\(error)"
            throw FlotillaError("The store \(link.display) could not prepare its tables (\(reason))", hint: "let user \(link.user) create tables in database \(link.database), for instance by making it the owner")
        }
    }

    func readPositions() async throws -> ChangeAnnouncer.Positions {
        try await connections.withConnection { connection in
            var positions = ChangeAnnouncer.Positions()
            for try await sequence in try await connection.query("SELECT COALESCE(MAX(sequence), 0)::BIGINT FROM actions", logger: logger).decode(Int64.self) {
                positions.actionSequence = sequence
            }
            for try await (id, revision) in try await connection.query("SELECT id, revision FROM policies", logger: logger).decode((String, Int).self) {
                positions.revisions[id] = revision
            }
            positions.revocations = try await revocationCount(connection)
            return positions
        }
    }

    /// Reads what other Fleet Servers committed since the last announced position, and announces it. A
    /// notification says which kind changed; after a reconnection both are read.
    func catchUp(policies readPolicies: Bool = true, actions readActions: Bool = true, revocations readRevocations: Bool = true) async throws {
        let since = announcer.actionSequence
        if readRevocations {
            announcer.announce(revocations: try await connections.withConnection { try await revocationCount($0) })
        }
        guard readPolicies || readActions else { return }
        let (policies, targets) = try await connections.withConnection { connection in
            var policies: [(id: String, revision: Int)] = []
            var targets: [(sequence: Int64, agentId: String)] = []
            if readPolicies {
                for try await row in try await connection.query("SELECT id, revision FROM policies", logger: logger).decode((String, Int).self) {
                    policies.append(row)
                }
            }
            guard readActions else { return (policies, targets) }
            let query: PostgresQuery = "SELECT sequence, agent_id FROM action_targets WHERE sequence > \(since) ORDER BY sequence"
            for try await row in try await connection.query(query, logger: logger).decode((Int64, String).self) {
                targets.append(row)
            }
            return (policies, targets)
        }
        announcer.announce(policies: policies, targets: targets)
    }

    /// Listens for other Fleet Servers' changes until cancelled. After a lost connection it reconnects at once,
    /// then with backoff; if the store is down it says so (`.unavailable`), and once back it catches up on what
    /// changed meanwhile.
    public func run() async {
        var delay = 0.0
        var saidUnavailable = false
        while !Task.isCancelled {
            do {
                let connection = try await connections.dedicated()
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.channel) { notifications in
                    try await self.catchUp()
                    if saidUnavailable { self.logger.notice("The store \(self.link.display) is reachable again") }
                    delay = 0
                    saidUnavailable = false
                    for try await notification in notifications {
                        // The payload says what changed; anything else reads all of it.
                        let payload = notification.payload
                        let all = !["policy", "action", "revocation"].contains(payload)
                        try await self.catchUp(
                            policies: all || payload == "policy", actions: all || payload == "action",
                            revocations: all || payload == "revocation"
                        )
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if delay > 0, !saidUnavailable {
                    saidUnavailable = true
                    logger.error("The store \(link.display) cannot be reached; Fleet Server reports DEGRADED until it is back", metadata: ["error": "\(error)"])
                    changes.publish(.unavailable)
                }
            }
            try? await Task.sleep(for: .seconds(delay))
            delay = min(max(delay * 2, 0.25), 5)
        }
    }

    public func ping() async throws {
        try await connections.withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: logger)
        }
    }

    public func close() async throws {
        await connections.close()
    }

    /// Runs `body` in one transaction on one connection.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await connections.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    do {
                        try await connection.query("ROLLBACK", logger: logger)
                    } catch {
                        // A connection stuck in a failed transaction must not go back to the pool.
                        throw PostgresConnections.Broken()
                    }
                    // Rolled back cleanly: the connection goes back to the pool, the error to the caller.
                    throw PostgresConnections.RolledBack(error: error)
                }
            }
        } catch let rolledBack as PostgresConnections.RolledBack {
            throw rolledBack.error
        }
    }

    func rows<Row: Sendable>(_ query: PostgresQuery, _ decode: (PostgresRandomAccessRow) throws -> Row) async throws -> [Row] {
        try await connections.withConnection { connection in
            var result: [Row] = []
            for try await row in try await connection.query(query, logger: logger) {
                result.append(try decode(PostgresRandomAccessRow(row)))
            }
            return result
        }
    }

    func execute(_ query: PostgresQuery) async throws {
        try await connections.withConnection { connection in
            for try await _ in try await connection.query(query, logger: logger) {}
        }
    }

    // MARK: Policies

    public func policy(id: String) async throws -> PolicyRecord? {
        try await rows("SELECT * FROM policies WHERE id = \(id)", PolicyRecord.init(postgres:)).first
    }

    public func policies() async throws -> [PolicyRecord] {
        try await rows("SELECT * FROM policies ORDER BY name", PolicyRecord.init(postgres:))
    }

    @discardableResult
    public func savePolicy(_ policy: PolicyRecord) async throws -> PolicyRecord {
        let saved = try await transaction { connection -> PolicyRecord in
            var saved = policy
            let upsert: PostgresQuery = """
                INSERT INTO policies (id, name, revision, is_fleet_server, body, updated_at)
                VALUES (\(policy.id), \(policy.name), \(policy.revision), \(policy.isFleetServerPolicy), \(policy.body), \(policy.updatedAt))
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, revision = policies.revision + 1,
                  is_fleet_server = EXCLUDED.is_fleet_server, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
                RETURNING revision
                """
            for try await revision in try await connection.query(upsert, logger: logger).decode(Int.self) { saved.revision = revision }
            try await notify(connection, "policy")
            return saved
        }
        announcer.announce(.policy(id: saved.id, revision: saved.revision))
        return saved
    }

    public func deletePolicy(id: String) async throws -> Bool {
        try await transaction { connection in
            let inUse: PostgresQuery = "SELECT COUNT(*)::BIGINT FROM agents WHERE policy_id = \(id) AND unenrolled_at IS NULL"
            for try await count in try await connection.query(inUse, logger: logger).decode(Int64.self) where count > 0 {
                return false
            }
            try await connection.query("DELETE FROM enrollment_tokens WHERE policy_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM agents WHERE policy_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM policies WHERE id = \(id)", logger: logger)
            return true
        }
    }

    /// New TLS for the link to PostgreSQL, tried on one connection before it replaces the working one. The
    /// listening connection keeps its link until it next reconnects.
    public func relink(tls: TLSSettings) async throws(FlotillaError) {
        let current = await connections.link
        try await connections.relink(try current.with(tls: tls))
    }

    func notify(_ connection: PostgresConnection, _ payload: String) async throws {
        try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
    }

    // MARK: Enrollment tokens

    public func createEnrollmentToken(_ token: EnrollmentTokenRecord) async throws {
        try await execute("""
            INSERT INTO enrollment_tokens (id, name, policy_id, secret_hash, created_at, expires_at, max_uses, uses, revoked)
            VALUES (\(token.id), \(token.name), \(token.policyId), \(token.secretHash), \(token.createdAt), \(token.expiresAt), \(token.maxUses), \(token.uses), \(token.revoked))
            """)
    }

    public func enrollmentTokens() async throws -> [EnrollmentTokenRecord] {
        try await rows("SELECT * FROM enrollment_tokens ORDER BY created_at", EnrollmentTokenRecord.init(postgres:))
    }

    public func enrollmentToken(secretHash: String) async throws -> EnrollmentTokenRecord? {
        try await rows("SELECT * FROM enrollment_tokens WHERE secret_hash = \(secretHash)", EnrollmentTokenRecord.init(postgres:)).first
    }

    public func enroll(_ enrollment: EnrollmentRecord) async throws -> EnrollmentOutcome {
        do {
            return try await transaction { connection -> EnrollmentOutcome in
                // The existing agent's row is locked until the end; a concurrent first enrollment of the same id
                // waits on the insert's unique index, then inserts nothing and is refused below.
                let existing: PostgresQuery =
                    "SELECT replace_token_hash FROM agents WHERE id = \(enrollment.agent.id) FOR UPDATE"
                var stored: [String?] = []
                for try await hash in try await connection.query(existing, logger: logger).decode(String?.self) {
                    stored.append(hash)
                }
                if let hash = stored.first, !enrollment.mayReplace(replaceTokenHash: hash) {
                    throw EnrollmentOutcome.Refusal(outcome: .agentExists)
                }
                var insert = enrollment.agent.insertQuery(replacing: !stored.isEmpty)
                if stored.isEmpty { insert.sql += " ON CONFLICT (id) DO NOTHING" }
                insert.sql += " RETURNING id"
                var inserted = 0
                for try await _ in try await connection.query(insert, logger: logger) { inserted += 1 }
                guard inserted == 1 else { throw EnrollmentOutcome.Refusal(outcome: .agentExists) }
                // Row-locked as well: of two enrollments on the last use, the second sees it spent.
                let use: PostgresQuery = """
                    UPDATE enrollment_tokens SET uses = uses + 1
                    WHERE id = \(enrollment.tokenId) AND NOT revoked AND (max_uses IS NULL OR uses < max_uses)
                      AND (expires_at IS NULL OR expires_at > \(enrollment.at))
                    RETURNING id
                    """
                var used = 0
                for try await _ in try await connection.query(use, logger: logger) { used += 1 }
                guard used == 1 else { throw EnrollmentOutcome.Refusal(outcome: .tokenRefused) }
                if let certificate = enrollment.certificate {
                    try await connection.query(certificate.insertQuery, logger: logger)
                }
                return .enrolled(replaced: !stored.isEmpty)
            }
        } catch let refusal as EnrollmentOutcome.Refusal {
            return refusal.outcome
        }
    }

    public func revokeEnrollmentToken(id: String) async throws -> Bool {
        try await rows("UPDATE enrollment_tokens SET revoked = TRUE WHERE id = \(id) RETURNING id") { _ in true }.count == 1
    }

    // MARK: Service tokens

    public func addServiceToken(name: String, secretHash: String) async throws {
        try await execute("INSERT INTO service_tokens (name, secret_hash, created_at) VALUES (\(name), \(secretHash), \(Date()))")
    }

    public func serviceTokenExists(secretHash: String) async throws -> Bool {
        try await rows("SELECT 1 FROM service_tokens WHERE secret_hash = \(secretHash) AND NOT revoked") { _ in true }.isEmpty == false
    }

    public func serviceTokens() async throws -> [ServiceTokenRecord] {
        try await rows("SELECT name, created_at, revoked FROM service_tokens ORDER BY created_at") { row in
            ServiceTokenRecord(name: try row["name"].decode(String.self), createdAt: try row["created_at"].decode(Date.self), revoked: try row["revoked"].decode(Bool.self))
        }
    }

    public func revokeServiceToken(name: String) async throws -> Bool {
        try await rows("UPDATE service_tokens SET revoked = TRUE WHERE name = \(name) RETURNING name") { _ in true }.count == 1
    }

    // MARK: Agents

    public func createAgent(_ agent: AgentRecord) async throws {
        try await execute(agent.insertQuery(replacing: false))
    }

    public func replaceAgent(_ agent: AgentRecord) async throws {
        try await execute(agent.insertQuery(replacing: true))
    }

    public func agent(id: String) async throws -> AgentRecord? {
        try await rows("SELECT * FROM agents WHERE id = \(id)", AgentRecord.init(postgres:)).first
    }

    public func agent(apiKeyId: String) async throws -> AgentRecord? {
        try await rows("SELECT * FROM agents WHERE api_key_id = \(apiKeyId)", AgentRecord.init(postgres:)).first
    }

    public func agents() async throws -> [AgentRecord] {
        try await rows("SELECT * FROM agents ORDER BY enrolled_at", AgentRecord.init(postgres:))
    }

    public func revokeAgentKey(agentId: String) async throws {
        let revocations = try await transaction { connection in
            try await connection.query("UPDATE agents SET api_key_revoked = TRUE WHERE id = \(agentId)", logger: logger)
            return try await revokeCertificates(connection, agentId: agentId, at: Date())
        }
        announcer.announce(revocations: revocations)
    }

    public func markUnenrolled(agentId: String, at: Date) async throws {
        let revocations = try await transaction { connection in
            try await connection.query(
                "UPDATE agents SET unenrolled_at = \(at), api_key_revoked = TRUE, last_status = 'unenrolled' WHERE id = \(agentId)",
                logger: logger
            )
            return try await revokeCertificates(connection, agentId: agentId, at: at)
        }
        announcer.announce(revocations: revocations)
    }

    /// Revokes the agent's certificates in the caller's transaction and tells every Fleet Server; returns how many
    /// are revoked in all now.
    func revokeCertificates(_ connection: PostgresConnection, agentId: String, at: Date) async throws -> Int {
        try await connection.query(
            "UPDATE agent_certificates SET revoked_at = \(at) WHERE agent_id = \(agentId) AND revoked_at IS NULL", logger: logger
        )
        try await notify(connection, "revocation")
        return try await revocationCount(connection)
    }

    func revocationCount(_ connection: PostgresConnection) async throws -> Int {
        let query: PostgresQuery = "SELECT COUNT(*)::BIGINT FROM agent_certificates WHERE revoked_at IS NOT NULL"
        var count = 0
        for try await value in try await connection.query(query, logger: logger).decode(Int64.self) { count = Int(value) }
        return count
    }

    public func recordIssuedCertificate(_ certificate: IssuedCertificateRecord) async throws {
        try await execute(certificate.insertQuery)
    }

    public func issuedCertificates(agentId: String?) async throws -> [IssuedCertificateRecord] {
        if let agentId {
            return try await rows(
                "SELECT * FROM agent_certificates WHERE agent_id = \(agentId) ORDER BY issued_at DESC", IssuedCertificateRecord.init(postgres:)
            )
        }
        return try await rows("SELECT * FROM agent_certificates ORDER BY issued_at DESC", IssuedCertificateRecord.init(postgres:))
    }

    public func revokedCertificateFingerprints(now: Date) async throws -> Set<String> {
        Set(try await rows(
            "SELECT fingerprint FROM agent_certificates WHERE revoked_at IS NOT NULL AND not_after > \(now)",
            { try $0["fingerprint"].decode(String.self) }
        ))
    }

    public func assignAgent(id: String, policyId: String, tags: [String]) async throws {
        try await execute("""
            UPDATE agents SET tags = \(tags), policy_revision = CASE WHEN policy_id = \(policyId) THEN policy_revision END,
              policy_id = \(policyId)
            WHERE id = \(id)
            """)
    }

    /// One statement for the whole batch: the check-ins travel as one JSON parameter, unpacked server-side.
    public func recordCheckins(_ checkins: [CheckinRecord]) async throws {
        guard !checkins.isEmpty else { return }
        let rows: [[String: Any?]] = checkins.map { checkin in
            [
                "id": checkin.agentId, "at": Self.timestamp(checkin.at), "status": checkin.status, "message": checkin.message,
                "revision": checkin.policyRevision, "metadata": checkin.localMetadata,
                "subject": checkin.certificateSubject, "fingerprint": checkin.certificateFingerprint,
                "issuer": checkin.certificateIssuer, "not_after": checkin.certificateNotAfter.map(Self.timestamp),
                "components": checkin.components, "upgrade_details": checkin.upgradeDetails,
            ]
        }
        let batch = String(decoding: try JSONSerialization.data(withJSONObject: rows.map { $0.compactMapValues { $0 } }), as: UTF8.self)
        try await execute("""
            UPDATE agents SET last_checkin_at = c.at, last_status = c.status, last_message = c.message,
              policy_revision = COALESCE(c.revision, agents.policy_revision),
              local_metadata = COALESCE(c.metadata, agents.local_metadata),
              certificate_subject = COALESCE(c.subject, agents.certificate_subject),
              certificate_fingerprint = COALESCE(c.fingerprint, agents.certificate_fingerprint),
              certificate_issuer = COALESCE(c.issuer, agents.certificate_issuer),
              certificate_not_after = COALESCE(c.not_after, agents.certificate_not_after),
              components = COALESCE(c.components, agents.components), upgrade_details = c.upgrade_details
            FROM jsonb_to_recordset(\(batch)::JSONB)
              AS c(id TEXT, at TIMESTAMPTZ, status TEXT, message TEXT, revision INTEGER, metadata TEXT, subject TEXT, fingerprint TEXT,
                issuer TEXT, not_after TIMESTAMPTZ, components TEXT, upgrade_details TEXT)
            WHERE agents.id = c.id AND agents.unenrolled_at IS NULL
            """)
    }

    /// A timestamp PostgreSQL reads exactly, milliseconds included.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    public func recordPolicyAcknowledged(agentId: String, policyId: String, revision: Int) async throws {
        try await execute("""
            UPDATE agents SET policy_revision = GREATEST(COALESCE(policy_revision, 0), \(revision))
            WHERE id = \(agentId) AND policy_id = \(policyId)
            """)
    }

    // MARK: Actions

    public func addAction(_ action: ActionRecord) async throws -> ActionRecord {
        let stored = try await transaction { connection -> ActionRecord in
            var stored = action
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.actionsLock))", logger: logger)
            let insert: PostgresQuery = """
                INSERT INTO actions (id, type, data, created_at, expires_at)
                VALUES (\(action.id), \(action.type), \(action.data), \(action.createdAt), \(action.expiresAt)) RETURNING sequence
                """
            for try await sequence in try await connection.query(insert, logger: logger).decode(Int64.self) { stored.sequence = sequence }
            try await connection.query("INSERT INTO action_targets (sequence, agent_id) SELECT \(stored.sequence), UNNEST(\(action.agentIds)::TEXT[])", logger: logger)
            try await notify(connection, "action")
            return stored
        }
        announcer.announce(.action(sequence: stored.sequence, agentIds: stored.agentIds))
        return stored
    }

    public func actions(forAgent agentId: String, after: Int64, now: Date) async throws -> [ActionRecord] {
        try await rows("""
            SELECT a.* FROM actions a JOIN action_targets t ON t.sequence = a.sequence
            WHERE t.agent_id = \(agentId) AND a.sequence > \(after) AND (a.expires_at IS NULL OR a.expires_at > \(now))
            ORDER BY a.sequence
            """) { row in try ActionRecord(postgres: row, agentIds: [agentId]) }
    }

    public func action(id: String) async throws -> ActionRecord? {
        try await rows("""
            SELECT a.*, ARRAY(SELECT agent_id FROM action_targets t WHERE t.sequence = a.sequence ORDER BY agent_id) AS targets
            FROM actions a WHERE a.id = \(id)
            """) { row in try ActionRecord(postgres: row, agentIds: row["targets"].decode([String].self)) }.first
    }

    public func recordResults(_ results: [ActionResultRecord]) async throws {
        guard !results.isEmpty else { return }
        // The last result per action and agent wins, as with SQLite's INSERT OR REPLACE (one statement may not
        // update a row twice).
        var latest: [String: ActionResultRecord] = [:]
        for result in results { latest[result.actionId + "\u{0}" + result.agentId] = result }
        let rows: [[String: String]] = latest.values.map {
            ["action_id": $0.actionId, "agent_id": $0.agentId, "error": $0.error, "payload": $0.payload, "created_at": Self.timestamp($0.createdAt)]
        }
        let batch = String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self)
        try await execute("""
            INSERT INTO action_results (action_id, agent_id, error, payload, created_at)
            SELECT * FROM jsonb_to_recordset(\(batch)::JSONB) AS r(action_id TEXT, agent_id TEXT, error TEXT, payload TEXT, created_at TIMESTAMPTZ)
            ON CONFLICT (action_id, agent_id) DO UPDATE SET error = EXCLUDED.error, payload = EXCLUDED.payload, created_at = EXCLUDED.created_at
            """)
    }

    public func results(actionId: String) async throws -> [ActionResultRecord] {
        try await rows("SELECT * FROM action_results WHERE action_id = \(actionId) ORDER BY agent_id") { row in
            ActionResultRecord(
                actionId: try row["action_id"].decode(String.self), agentId: try row["agent_id"].decode(String.self),
                error: try row["error"].decode(String.self), payload: try row["payload"].decode(String.self), createdAt: try row["created_at"].decode(Date.self)
            )
        }
    }
}

extension PostgresStore {
    // MARK: Console

    public func consoleObjects(kind: String) async throws -> [ConsoleObjectRecord] {
        try await rows("SELECT * FROM console_objects WHERE kind = \(kind) ORDER BY id", ConsoleObjectRecord.init(postgres:))
    }

    public func consoleObject(kind: String, id: String) async throws -> ConsoleObjectRecord? {
        try await rows("SELECT * FROM console_objects WHERE kind = \(kind) AND id = \(id)", ConsoleObjectRecord.init(postgres:)).first
    }

    public func saveConsoleObject(_ object: ConsoleObjectRecord) async throws {
        try await execute("""
            INSERT INTO console_objects (kind, id, body, updated_at) VALUES (\(object.kind), \(object.id), \(object.body), \(object.updatedAt))
            ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
            """)
    }

    public func deleteConsoleObject(kind: String, id: String) async throws -> Bool {
        try await rows("DELETE FROM console_objects WHERE kind = \(kind) AND id = \(id) RETURNING id") { _ in true }.count == 1
    }

    @discardableResult
    public func appendAudit(_ entry: AuditRecord) async throws -> AuditRecord {
        var stored = entry
        let insert: PostgresQuery = """
            INSERT INTO audit_log (at, actor, action, target, detail)
            VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.target), \(entry.detail)) RETURNING sequence
            """
        stored.sequence = try await rows(insert) { try $0["sequence"].decode(Int64.self) }.first ?? 0
        return stored
    }

    public func auditLog(limit: Int) async throws -> [AuditRecord] {
        try await rows("SELECT * FROM audit_log ORDER BY sequence DESC LIMIT \(limit)") { row in
            AuditRecord(
                sequence: try row["sequence"].decode(Int64.self), at: try row["at"].decode(Date.self), actor: try row["actor"].decode(String.self),
                action: try row["action"].decode(String.self), target: try row["target"].decode(String.self), detail: try row["detail"].decode(String.self)
            )
        }
    }
}

extension IssuedCertificateRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            fingerprint: try row["fingerprint"].decode(String.self), agentId: try row["agent_id"].decode(String.self),
            serial: try row["serial"].decode(String.self), subject: try row["subject"].decode(String.self),
            issuer: try row["issuer"].decode(String.self), issuerFingerprint: try row["issuer_fingerprint"].decode(String.self),
            notBefore: try row["not_before"].decode(Date.self),
            notAfter: try row["not_after"].decode(Date.self), issuedAt: try row["issued_at"].decode(Date.self),
            revokedAt: try row["revoked_at"].decode(Date?.self)
        )
    }

    var insertQuery: PostgresQuery {
        """
        INSERT INTO agent_certificates (fingerprint, agent_id, serial, subject, issuer, issuer_fingerprint, not_before,
          not_after, issued_at, revoked_at)
        VALUES (\(fingerprint), \(agentId), \(serial), \(subject), \(issuer), \(issuerFingerprint), \(notBefore),
          \(notAfter), \(issuedAt), \(revokedAt))
        """
    }
}

extension ConsoleObjectRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            kind: try row["kind"].decode(String.self), id: try row["id"].decode(String.self), body: try row["body"].decode(String.self),
            updatedAt: try row["updated_at"].decode(Date.self)
        )
    }
}

extension PolicyRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row["id"].decode(String.self), name: try row["name"].decode(String.self), revision: try row["revision"].decode(Int.self),
            isFleetServerPolicy: try row["is_fleet_server"].decode(Bool.self), body: try row["body"].decode(String.self),
            updatedAt: try row["updated_at"].decode(Date.self)
        )
    }
}

extension EnrollmentTokenRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row["id"].decode(String.self), name: try row["name"].decode(String.self), policyId: try row["policy_id"].decode(String.self),
            secretHash: try row["secret_hash"].decode(String.self), createdAt: try row["created_at"].decode(Date.self),
            expiresAt: try row["expires_at"].decode(Date?.self), maxUses: try row["max_uses"].decode(Int?.self),
            uses: try row["uses"].decode(Int.self), revoked: try row["revoked"].decode(Bool.self)
        )
    }
}

extension ActionRecord {
    init(postgres row: PostgresRandomAccessRow, agentIds: [String]) throws {
        self.init(
            sequence: try row["sequence"].decode(Int64.self), id: try row["id"].decode(String.self), type: try row["type"].decode(String.self),
            agentIds: agentIds, data: try row["data"].decode(String.self), createdAt: try row["created_at"].decode(Date.self),
            expiresAt: try row["expires_at"].decode(Date?.self)
        )
    }
}

extension AgentRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row["id"].decode(String.self), policyId: try row["policy_id"].decode(String.self), type: try row["type"].decode(String.self),
            apiKeyId: try row["api_key_id"].decode(String.self), apiKeyHash: try row["api_key_hash"].decode(String.self),
            apiKeyRevoked: try row["api_key_revoked"].decode(Bool.self), replaceTokenHash: try row["replace_token_hash"].decode(String?.self),
            enrolledAt: try row["enrolled_at"].decode(Date.self), tags: try row["tags"].decode([String].self),
            localMetadata: try row["local_metadata"].decode(String.self), lastStatus: try row["last_status"].decode(String?.self),
            lastMessage: try row["last_message"].decode(String?.self), lastCheckinAt: try row["last_checkin_at"].decode(Date?.self),
            policyRevision: try row["policy_revision"].decode(Int?.self), unenrolledAt: try row["unenrolled_at"].decode(Date?.self),
            certificateSubject: try row["certificate_subject"].decode(String?.self), certificateFingerprint: try row["certificate_fingerprint"].decode(String?.self),
            certificateIssuer: try row["certificate_issuer"].decode(String?.self),
            certificateNotAfter: try row["certificate_not_after"].decode(Date?.self),
            components: try row["components"].decode(String?.self),
            upgradeDetails: try row["upgrade_details"].decode(String?.self)
        )
    }

    func insertQuery(replacing: Bool) -> PostgresQuery {
        var query: PostgresQuery = """
            INSERT INTO agents (id, policy_id, type, api_key_id, api_key_hash, api_key_revoked, replace_token_hash, enrolled_at, tags,
              local_metadata, last_status, last_message, last_checkin_at, policy_revision, unenrolled_at, certificate_subject, certificate_fingerprint,
              certificate_issuer, certificate_not_after)
            VALUES (\(id), \(policyId), \(type), \(apiKeyId), \(apiKeyHash), \(apiKeyRevoked), \(replaceTokenHash), \(enrolledAt), \(tags),
              \(localMetadata), \(lastStatus), \(lastMessage), \(lastCheckinAt), \(policyRevision), \(unenrolledAt), \(certificateSubject), \(certificateFingerprint),
              \(certificateIssuer), \(certificateNotAfter))
            """
        if replacing {
            query.sql += """
                 ON CONFLICT (id) DO UPDATE SET policy_id = EXCLUDED.policy_id, type = EXCLUDED.type, api_key_id = EXCLUDED.api_key_id,
                  api_key_hash = EXCLUDED.api_key_hash, api_key_revoked = EXCLUDED.api_key_revoked, replace_token_hash = EXCLUDED.replace_token_hash,
                  enrolled_at = EXCLUDED.enrolled_at, tags = EXCLUDED.tags, local_metadata = EXCLUDED.local_metadata,
                  last_status = EXCLUDED.last_status, last_message = EXCLUDED.last_message, last_checkin_at = EXCLUDED.last_checkin_at,
                  policy_revision = EXCLUDED.policy_revision, unenrolled_at = EXCLUDED.unenrolled_at,
                  certificate_subject = EXCLUDED.certificate_subject, certificate_fingerprint = EXCLUDED.certificate_fingerprint,
                  certificate_issuer = EXCLUDED.certificate_issuer, certificate_not_after = EXCLUDED.certificate_not_after,
                  components = NULL, upgrade_details = NULL
                """
        }
        return query
    }
}
