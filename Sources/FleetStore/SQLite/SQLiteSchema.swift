import Foundation
import GRDB

/// Versioned migrations, applied at start. Add a new `registerMigration` for every change; never edit an old one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE policies (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL, revision INTEGER NOT NULL,
                  is_fleet_server BOOLEAN NOT NULL DEFAULT 0, body TEXT NOT NULL, updated_at DATETIME NOT NULL);
                CREATE TABLE enrollment_tokens (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL, policy_id TEXT NOT NULL REFERENCES policies(id),
                  secret_hash TEXT NOT NULL UNIQUE, created_at DATETIME NOT NULL, expires_at DATETIME,
                  max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0, revoked BOOLEAN NOT NULL DEFAULT 0);
                CREATE TABLE service_tokens (
                  name TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, created_at DATETIME NOT NULL,
                  revoked BOOLEAN NOT NULL DEFAULT 0);
                CREATE TABLE agents (
                  id TEXT PRIMARY KEY, policy_id TEXT NOT NULL REFERENCES policies(id), type TEXT NOT NULL,
                  api_key_id TEXT NOT NULL UNIQUE, api_key_hash TEXT NOT NULL, api_key_revoked BOOLEAN NOT NULL DEFAULT 0,
                  replace_token_hash TEXT, enrolled_at DATETIME NOT NULL, tags TEXT NOT NULL, local_metadata TEXT NOT NULL,
                  last_status TEXT, last_message TEXT, last_checkin_at DATETIME, policy_revision INTEGER,
                  unenrolled_at DATETIME, certificate_subject TEXT, certificate_fingerprint TEXT);
                CREATE TABLE actions (
                  sequence INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
                  data TEXT NOT NULL, created_at DATETIME NOT NULL, expires_at DATETIME);
                CREATE TABLE action_targets (
                  sequence INTEGER NOT NULL REFERENCES actions(sequence), agent_id TEXT NOT NULL,
                  PRIMARY KEY (agent_id, sequence));
                CREATE TABLE action_results (
                  action_id TEXT NOT NULL, agent_id TEXT NOT NULL, error TEXT NOT NULL, payload TEXT NOT NULL,
                  created_at DATETIME NOT NULL, PRIMARY KEY (action_id, agent_id));
                """)
        }
        migrator.registerMigration("v2-console") { db in
            try db.execute(sql: """
                CREATE TABLE console_objects (
                  kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at DATETIME NOT NULL,
                  PRIMARY KEY (kind, id));
                CREATE TABLE audit_log (
                  sequence INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, actor TEXT NOT NULL,
                  action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
                ALTER TABLE agents ADD COLUMN certificate_issuer TEXT;
                ALTER TABLE agents ADD COLUMN certificate_not_after DATETIME;
                """)
        }
        migrator.registerMigration("v3-components") { db in
            try db.execute(sql: "ALTER TABLE agents ADD COLUMN components TEXT")
        }
        migrator.registerMigration("v4-agent-certificates") { db in
            try db.execute(sql: """
                CREATE TABLE agent_certificates (
                  fingerprint TEXT PRIMARY KEY, agent_id TEXT NOT NULL, serial TEXT NOT NULL, subject TEXT NOT NULL,
                  issuer TEXT NOT NULL, issuer_fingerprint TEXT NOT NULL, not_before DATETIME NOT NULL, not_after DATETIME NOT NULL,
                  issued_at DATETIME NOT NULL, revoked_at DATETIME);
                CREATE INDEX agent_certificates_by_agent ON agent_certificates (agent_id, issued_at);
                """)
        }
        migrator.registerMigration("v5-upgrade-details") { db in
            try db.execute(sql: "ALTER TABLE agents ADD COLUMN upgrade_details TEXT")
        }
        return migrator
    }
}

extension PolicyRecord {
    init(row: Row) {
        self.init(id: row["id"], name: row["name"], revision: row["revision"], isFleetServerPolicy: row["is_fleet_server"], body: row["body"], updatedAt: row["updated_at"])
    }
}

extension EnrollmentTokenRecord {
    init(row: Row) {
        self.init(
            id: row["id"], name: row["name"], policyId: row["policy_id"], secretHash: row["secret_hash"], createdAt: row["created_at"],
            expiresAt: row["expires_at"], maxUses: row["max_uses"], uses: row["uses"], revoked: row["revoked"]
        )
    }
}

extension AgentRecord {
    init(row: Row) {
        let tagsJSON: String = row["tags"]
        self.init(
            id: row["id"], policyId: row["policy_id"], type: row["type"], apiKeyId: row["api_key_id"], apiKeyHash: row["api_key_hash"],
            apiKeyRevoked: row["api_key_revoked"], replaceTokenHash: row["replace_token_hash"], enrolledAt: row["enrolled_at"],
            tags: (try? JSONDecoder().decode([String].self, from: Data(tagsJSON.utf8))) ?? [], localMetadata: row["local_metadata"],
            lastStatus: row["last_status"], lastMessage: row["last_message"], lastCheckinAt: row["last_checkin_at"],
            policyRevision: row["policy_revision"], unenrolledAt: row["unenrolled_at"],
            certificateSubject: row["certificate_subject"], certificateFingerprint: row["certificate_fingerprint"],
            certificateIssuer: row["certificate_issuer"], certificateNotAfter: row["certificate_not_after"],
            components: row["components"], upgradeDetails: row["upgrade_details"]
        )
    }

    func insert(_ db: Database, replacing: Bool) throws {
        let tagsJSON = String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT \(replacing ? "OR REPLACE" : "") INTO agents (id, policy_id, type, api_key_id, api_key_hash, api_key_revoked,
                  replace_token_hash, enrolled_at, tags, local_metadata, last_status, last_message, last_checkin_at, policy_revision,
                  unenrolled_at, certificate_subject, certificate_fingerprint, certificate_issuer, certificate_not_after)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, policyId, type, apiKeyId, apiKeyHash, apiKeyRevoked, replaceTokenHash, enrolledAt, tagsJSON, localMetadata,
                lastStatus, lastMessage, lastCheckinAt, policyRevision, unenrolledAt, certificateSubject, certificateFingerprint,
                certificateIssuer, certificateNotAfter,
            ]
        )
    }
}

extension IssuedCertificateRecord {
    init(row: Row) {
        self.init(
            fingerprint: row["fingerprint"], agentId: row["agent_id"], serial: row["serial"], subject: row["subject"],
            issuer: row["issuer"], issuerFingerprint: row["issuer_fingerprint"], notBefore: row["not_before"], notAfter: row["not_after"], issuedAt: row["issued_at"],
            revokedAt: row["revoked_at"]
        )
    }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO agent_certificates (fingerprint, agent_id, serial, subject, issuer, issuer_fingerprint, not_before,
                  not_after, issued_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                fingerprint, agentId, serial, subject, issuer, issuerFingerprint, notBefore, notAfter, issuedAt, revokedAt,
            ]
        )
    }
}

extension ConsoleObjectRecord {
    init(row: Row) {
        self.init(kind: row["kind"], id: row["id"], body: row["body"], updatedAt: row["updated_at"])
    }
}

extension AuditRecord {
    init(row: Row) {
        self.init(sequence: row["sequence"], at: row["at"], actor: row["actor"], action: row["action"], target: row["target"], detail: row["detail"])
    }
}
