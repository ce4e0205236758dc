import Logging
import PostgresNIO

/// Versioned migrations, applied at start under an advisory lock, so two Fleet Servers starting at once apply each
/// exactly once. Add a new entry for every change; never edit an old one.
enum PostgresSchema {
    static let migrations: [(version: String, sql: [String])] = [
        ("v1", [
            """
            CREATE TABLE policies (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, revision INTEGER NOT NULL,
              is_fleet_server BOOLEAN NOT NULL DEFAULT FALSE, body TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE enrollment_tokens (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, policy_id TEXT NOT NULL REFERENCES policies(id),
              secret_hash TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ,
              max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0, revoked BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            """
            CREATE TABLE service_tokens (
              name TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL,
              revoked BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            """
            CREATE TABLE agents (
              id TEXT PRIMARY KEY, policy_id TEXT NOT NULL REFERENCES policies(id), type TEXT NOT NULL,
              api_key_id TEXT NOT NULL UNIQUE, api_key_hash TEXT NOT NULL, api_key_revoked BOOLEAN NOT NULL DEFAULT FALSE,
              replace_token_hash TEXT, enrolled_at TIMESTAMPTZ NOT NULL, tags TEXT[] NOT NULL, local_metadata TEXT NOT NULL,
              last_status TEXT, last_message TEXT, last_checkin_at TIMESTAMPTZ, policy_revision INTEGER,
              unenrolled_at TIMESTAMPTZ, certificate_subject TEXT, certificate_fingerprint TEXT)
            """,
            """
            CREATE TABLE actions (
              sequence BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
              data TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ)
            """,
            """
            CREATE TABLE action_targets (
              sequence BIGINT NOT NULL REFERENCES actions(sequence), agent_id TEXT NOT NULL,
              PRIMARY KEY (agent_id, sequence))
            """,
            "CREATE INDEX action_targets_by_sequence ON action_targets (sequence)",
            """
            CREATE TABLE action_results (
              action_id TEXT NOT NULL, agent_id TEXT NOT NULL, error TEXT NOT NULL, payload TEXT NOT NULL,
              created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (action_id, agent_id))
            """,
        ]),
        ("v2-console", [
            """
            CREATE TABLE console_objects (
              kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
              PRIMARY KEY (kind, id))
            """,
            """
            CREATE TABLE audit_log (
              sequence BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL, actor TEXT NOT NULL,
              action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL)
            """,
            "ALTER TABLE agents ADD COLUMN certificate_issuer TEXT",
            "ALTER TABLE agents ADD COLUMN certificate_not_after TIMESTAMPTZ",
        ]),
        ("v3-components", ["ALTER TABLE agents ADD COLUMN components TEXT"]),
        ("v4-agent-certificates", [
            """
            CREATE TABLE agent_certificates (
              fingerprint TEXT PRIMARY KEY, agent_id TEXT NOT NULL, serial TEXT NOT NULL, subject TEXT NOT NULL,
              issuer TEXT NOT NULL, issuer_fingerprint TEXT NOT NULL, not_before TIMESTAMPTZ NOT NULL, not_after TIMESTAMPTZ NOT NULL,
              issued_at TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ)
            """,
            "CREATE INDEX agent_certificates_by_agent ON agent_certificates (agent_id, issued_at)",
        ]),
        ("v5-upgrade-details", ["ALTER TABLE agents ADD COLUMN upgrade_details TEXT"]),
    ]

    /// An arbitrary constant naming Flotilla's migration lock.
    static let lockKey: Int64 = 0x666C_6F74_696C_6C61

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())", logger: logger)
            var applied = Set<String>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(version)
            }
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
