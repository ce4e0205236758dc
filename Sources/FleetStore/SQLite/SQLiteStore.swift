import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer).
public final class SQLiteStore: Store {
    let pool: DatabasePool
    public let changes = StoreChanges()
    public let path: String
    let announcer: ChangeAnnouncer

    /// Opens (creating when missing) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        announcer = ChangeAnnouncer(changes: changes)
        // The database holds hashes of secrets and agents' metadata: readable by its owner only.
        chmod(path, 0o600)
        try SQLiteSchema.migrator.migrate(pool)
        let start = try pool.read { db in
            ChangeAnnouncer.Positions(
                actionSequence: try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM actions") ?? 0,
                revisions: Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, revision FROM policies").map { ($0["id"], $0["revision"]) }),
                revocations: try Self.revocationCount(db)
            )
        }
        announcer.start(at: start)
    }

    /// Other processes (the CLI, a console) may write to the same file. One cheap query every half second finds
    /// what they committed; it costs the same for ten agents or 100,000.
    public func watchForeignChanges(every interval: Duration = .milliseconds(500)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let since = announcer.actionSequence
            guard let (policies, actions, revocations) = try? await pool.read({ db in
                (
                    try Row.fetchAll(db, sql: "SELECT id, revision FROM policies").map { (id: $0["id"] as String, revision: $0["revision"] as Int) },
                    try Row.fetchAll(db, sql: "SELECT sequence, agent_id FROM action_targets WHERE sequence > ? ORDER BY sequence", arguments: [since])
                        .map { (sequence: $0["sequence"] as Int64, agentId: $0["agent_id"] as String) },
                    try Self.revocationCount(db)
                )
            }) else { continue }
            announcer.announce(policies: policies, targets: actions)
            announcer.announce(revocations: revocations)
        }
    }

    public var description: String { path }

    public func run() async {
        await watchForeignChanges()
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func close() async throws {
        try pool.close()
    }

    // MARK: Policies

    public func policy(id: String) async throws -> PolicyRecord? {
        try await pool.read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM policies WHERE id = ?"), arguments: [id]).map(PolicyRecord.init(row:)) }
    }

    public func policies() async throws -> [PolicyRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM policies ORDER BY name").map(PolicyRecord.init(row:)) }
    }

    @discardableResult
    public func savePolicy(_ policy: PolicyRecord) async throws -> PolicyRecord {
        let saved = try await pool.write { db -> PolicyRecord in
            var saved = policy
            if let current = try Int.fetchOne(db, sql: "SELECT revision FROM policies WHERE id = ?", arguments: [policy.id]) {
                saved.revision = current + 1
                try db.execute(
                    sql: "UPDATE policies SET name = ?, revision = ?, is_fleet_server = ?, body = ?, updated_at = ? WHERE id = ?",
                    arguments: [saved.name, saved.revision, saved.isFleetServerPolicy, saved.body, saved.updatedAt, saved.id]
                )
            } else {
                try db.execute(
                    sql: "INSERT INTO policies (id, name, revision, is_fleet_server, body, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [saved.id, saved.name, saved.revision, saved.isFleetServerPolicy, saved.body, saved.updatedAt]
                )
            }
            return saved
        }
        announcer.announce(.policy(id: saved.id, revision: saved.revision))
        return saved
    }

    public func deletePolicy(id: String) async throws -> Bool {
        try await pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM agents WHERE policy_id = ? AND unenrolled_at IS NULL", arguments: [id]) == 0 else {
                return false
            }
            try db.execute(sql: "DELETE FROM enrollment_tokens WHERE policy_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM agents WHERE policy_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM policies WHERE id = ?", arguments: [id])
            return true
        }
    }

    // MARK: Enrollment tokens

    public func createEnrollmentToken(_ token: EnrollmentTokenRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO enrollment_tokens (id, name, policy_id, secret_hash, created_at, expires_at, max_uses, uses, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [token.id, token.name, token.policyId, token.secretHash, token.createdAt, token.expiresAt, token.maxUses, token.uses, token.revoked]
            )
        }
    }

    public func enrollmentTokens() async throws -> [EnrollmentTokenRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM enrollment_tokens ORDER BY created_at").map(EnrollmentTokenRecord.init(row:)) }
    }

    public func enrollmentToken(secretHash: String) async throws -> EnrollmentTokenRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM enrollment_tokens WHERE secret_hash = ?", arguments: [secretHash]).map(EnrollmentTokenRecord.init(row:))
        }
    }

    public func enroll(_ enrollment: EnrollmentRecord) async throws -> EnrollmentOutcome {
        do {
            return try await pool.write { db in
                // GRDB's write is one transaction with the only writer: nothing can come between the steps.
                let existing = try Row.fetchOne(
                    db, sql: "SELECT replace_token_hash FROM agents WHERE id = ?", arguments: [enrollment.agent.id]
                )
                if let existing, !enrollment.mayReplace(replaceTokenHash: existing["replace_token_hash"]) {
                    throw EnrollmentOutcome.Refusal(outcome: .agentExists)
                }
                try db.execute(
                    sql: """
                        UPDATE enrollment_tokens SET uses = uses + 1
                        WHERE id = ? AND NOT revoked AND (max_uses IS NULL OR uses < max_uses)
                          AND (expires_at IS NULL OR expires_at > ?)
                        """,
                    arguments: [enrollment.tokenId, enrollment.at]
                )
                guard db.changesCount == 1 else { throw EnrollmentOutcome.Refusal(outcome: .tokenRefused) }
                try enrollment.agent.insert(db, replacing: existing != nil)
                try enrollment.certificate?.insert(db)
                return .enrolled(replaced: existing != nil)
            }
        } catch let refusal as EnrollmentOutcome.Refusal {
            return refusal.outcome
        }
    }

    public func revokeEnrollmentToken(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE enrollment_tokens SET revoked = 1 WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    // MARK: Service tokens

    public func addServiceToken(name: String, secretHash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO service_tokens (name, secret_hash, created_at) VALUES (?, ?, ?)", arguments: [name, secretHash, Date()])
        }
    }

    public func serviceTokenExists(secretHash: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM service_tokens WHERE secret_hash = ? AND NOT revoked)", arguments: [secretHash]) ?? false
        }
    }

    public func serviceTokens() async throws -> [ServiceTokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, created_at, revoked FROM service_tokens ORDER BY created_at").map {
                ServiceTokenRecord(name: $0["name"], createdAt: $0["created_at"], revoked: $0["revoked"])
            }
        }
    }

    public func revokeServiceToken(name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE service_tokens SET revoked = 1 WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    // MARK: Agents

    public func createAgent(_ agent: AgentRecord) async throws {
        try await pool.write { db in try agent.insert(db, replacing: false) }
    }

    public func replaceAgent(_ agent: AgentRecord) async throws {
        try await pool.write { db in try agent.insert(db, replacing: true) }
    }

    public func agent(id: String) async throws -> AgentRecord? {
        try await pool.read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM agents WHERE id = ?"), arguments: [id]).map(AgentRecord.init(row:)) }
    }

    public func agent(apiKeyId: String) async throws -> AgentRecord? {
        try await pool.read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM agents WHERE api_key_id = ?"), arguments: [apiKeyId]).map(AgentRecord.init(row:)) }
    }

    public func agents() async throws -> [AgentRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY enrolled_at").map(AgentRecord.init(row:)) }
    }

    public func revokeAgentKey(agentId: String) async throws {
        let revocations = try await pool.write { db in
            try db.execute(sql: "UPDATE agents SET api_key_revoked = 1 WHERE id = ?", arguments: [agentId])
            return try Self.revokeCertificates(db, agentId: agentId, at: Date())
        }
        announcer.announce(revocations: revocations)
    }

    public func markUnenrolled(agentId: String, at: Date) async throws {
        let revocations = try await pool.write { db in
            try db.execute(sql: "UPDATE agents SET unenrolled_at = ?, api_key_revoked = 1, last_status = 'unenrolled' WHERE id = ?", arguments: [at, agentId])
            return try Self.revokeCertificates(db, agentId: agentId, at: at)
        }
        announcer.announce(revocations: revocations)
    }

    /// Revokes the agent's certificates in the caller's transaction; returns how many are revoked in all now.
    static func revokeCertificates(_ db: Database, agentId: String, at: Date) throws -> Int {
        try db.execute(sql: "UPDATE agent_certificates SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL", arguments: [at, agentId])
        return try revocationCount(db)
    }

    static func revocationCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM agent_certificates WHERE revoked_at IS NOT NULL") ?? 0
    }

    public func recordIssuedCertificate(_ certificate: IssuedCertificateRecord) async throws {
        try await pool.write { db in try certificate.insert(db) }
    }

    public func issuedCertificates(agentId: String?) async throws -> [IssuedCertificateRecord] {
        try await pool.read { db in
            let rows = if let agentId {
                try Row.fetchAll(db, sql: "SELECT * FROM agent_certificates WHERE agent_id = ? ORDER BY issued_at DESC", arguments: [agentId])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM agent_certificates ORDER BY issued_at DESC")
            }
            return rows.map(IssuedCertificateRecord.init(row:))
        }
    }

    public func revokedCertificateFingerprints(now: Date) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT fingerprint FROM agent_certificates WHERE revoked_at IS NOT NULL AND not_after > ?", arguments: [now]))
        }
    }

    public func assignAgent(id: String, policyId: String, tags: [String]) async throws {
        let tagsJSON = String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE agents SET tags = ?, policy_revision = CASE WHEN policy_id = ? THEN policy_revision END, policy_id = ?
                    WHERE id = ?
                    """,
                arguments: [tagsJSON, policyId, policyId, id]
            )
        }
    }

    public func recordCheckins(_ checkins: [CheckinRecord]) async throws {
        guard !checkins.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE agents SET last_checkin_at = ?, last_status = ?, last_message = ?,
                  policy_revision = COALESCE(?, policy_revision), local_metadata = COALESCE(?, local_metadata),
                  certificate_subject = COALESCE(?, certificate_subject), certificate_fingerprint = COALESCE(?, certificate_fingerprint),
                  certificate_issuer = COALESCE(?, certificate_issuer), certificate_not_after = COALESCE(?, certificate_not_after),
                  components = COALESCE(?, components), upgrade_details = ?
                WHERE id = ? AND unenrolled_at IS NULL
                """)
            for checkin in checkins {
                try statement.execute(arguments: [
                    checkin.at, checkin.status, checkin.message, checkin.policyRevision, checkin.localMetadata,
                    checkin.certificateSubject, checkin.certificateFingerprint, checkin.certificateIssuer, checkin.certificateNotAfter,
                    checkin.components, checkin.upgradeDetails, checkin.agentId,
                ])
            }
        }
    }

    public func recordPolicyAcknowledged(agentId: String, policyId: String, revision: Int) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agents SET policy_revision = MAX(COALESCE(policy_revision, 0), ?) WHERE id = ? AND policy_id = ?",
                arguments: [revision, agentId, policyId]
            )
        }
    }

    // MARK: Actions

    public func addAction(_ action: ActionRecord) async throws -> ActionRecord {
        let stored = try await pool.write { db -> ActionRecord in
            try db.execute(
                sql: "INSERT INTO actions (id, type, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [action.id, action.type, action.data, action.createdAt, action.expiresAt]
            )
            var stored = action
            stored.sequence = db.lastInsertedRowID
            for agentId in action.agentIds {
                try db.execute(sql: "INSERT INTO action_targets (sequence, agent_id) VALUES (?, ?)", arguments: [stored.sequence, agentId])
            }
            return stored
        }
        announcer.announce(.action(sequence: stored.sequence, agentIds: stored.agentIds))
        return stored
    }

    public func actions(forAgent agentId: String, after: Int64, now: Date) async throws -> [ActionRecord] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT a.* FROM actions a JOIN action_targets t ON t.sequence = a.sequence
                WHERE t.agent_id = ? AND a.sequence > ? AND (a.expires_at IS NULL OR a.expires_at > ?)
                ORDER BY a.sequence
                """), arguments: [agentId, after, now]).map { row in
                ActionRecord(sequence: row["sequence"], id: row["id"], type: row["type"], agentIds: [agentId], data: row["data"], createdAt: row["created_at"], expiresAt: row["expires_at"])
            }
        }
    }

    public func action(id: String) async throws -> ActionRecord? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM actions WHERE id = ?", arguments: [id]) else { return nil }
            let targets = try String.fetchAll(db, sql: "SELECT agent_id FROM action_targets WHERE sequence = ?", arguments: [row["sequence"] as Int64])
            return ActionRecord(sequence: row["sequence"], id: row["id"], type: row["type"], agentIds: targets, data: row["data"], createdAt: row["created_at"], expiresAt: row["expires_at"])
        }
    }

    public func recordResults(_ results: [ActionResultRecord]) async throws {
        try await pool.write { db in
            for result in results {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO action_results (action_id, agent_id, error, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [result.actionId, result.agentId, result.error, result.payload, result.createdAt]
                )
            }
        }
    }

    public func results(actionId: String) async throws -> [ActionResultRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM action_results WHERE action_id = ? ORDER BY agent_id", arguments: [actionId]).map { row in
                ActionResultRecord(actionId: row["action_id"], agentId: row["agent_id"], error: row["error"], payload: row["payload"], createdAt: row["created_at"])
            }
        }
    }

    // MARK: Console

    public func consoleObjects(kind: String) async throws -> [ConsoleObjectRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM console_objects WHERE kind = ? ORDER BY id", arguments: [kind]).map(ConsoleObjectRecord.init(row:))
        }
    }

    public func consoleObject(kind: String, id: String) async throws -> ConsoleObjectRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_objects WHERE kind = ? AND id = ?", arguments: [kind, id]).map(ConsoleObjectRecord.init(row:))
        }
    }

    public func saveConsoleObject(_ object: ConsoleObjectRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO console_objects (kind, id, body, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [object.kind, object.id, object.body, object.updatedAt]
            )
        }
    }

    public func deleteConsoleObject(kind: String, id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_objects WHERE kind = ? AND id = ?", arguments: [kind, id])
            return db.changesCount == 1
        }
    }

    @discardableResult
    public func appendAudit(_ entry: AuditRecord) async throws -> AuditRecord {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [entry.at, entry.actor, entry.action, entry.target, entry.detail]
            )
            var stored = entry
            stored.sequence = db.lastInsertedRowID
            return stored
        }
    }

    public func auditLog(limit: Int) async throws -> [AuditRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY sequence DESC LIMIT ?", arguments: [limit]).map(AuditRecord.init(row:))
        }
    }
}
