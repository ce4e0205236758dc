import FleetServer
import FleetStore
import Foundation
import TestSupport
import Testing

/// One set of store tests, run against the embedded SQLite store and against a real PostgreSQL over verified TLS.
@Suite(.timeLimit(.minutes(5))) struct StoreConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A fresh, empty store of `kind`, and a second handle on the same data (another process, as far as
    /// change notifications go).
    func freshStores(_ kind: Kind) async throws -> (any Store, any Store) {
        switch kind {
        case .sqlite:
            let path = TemporaryDirectory("flotilla-store").file("fleet.sqlite")
            return (try SQLiteStore(path: path), try SQLiteStore(path: path))
        case .postgres:
            let instance = try await PostgresInstance.shared.value
            let database = try await instance.createDatabase()
            return (try await instance.openStore(database: database), try await instance.openStore(database: database))
        }
    }

    func agent(_ id: String, policy: String = "p1") -> AgentRecord {
        AgentRecord(id: id, policyId: policy, type: "PERMANENT", apiKeyId: "key-\(id)", apiKeyHash: Secrets.hash("secret-\(id)"), enrolledAt: Date(), tags: ["a", "b"], localMetadata: "{}")
    }

    @Test(arguments: Kind.allCases) func policiesGetANewRevisionOnEverySave(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        #expect(try await store.savePolicy(PolicyRecord(id: "p1", name: "One", body: #"{"inputs":[]}"#)).revision == 1)
        #expect(try await store.savePolicy(PolicyRecord(id: "p1", name: "One", body: #"{"inputs":[1]}"#)).revision == 2)
        #expect(try await other.savePolicy(PolicyRecord(id: "p1", name: "Uno", body: "{}")).revision == 3)
        let read = try #require(try await store.policy(id: "p1"))
        #expect(read.revision == 3 && read.name == "Uno" && read.body == "{}")
        #expect(try await store.policy(id: "missing") == nil)
        #expect(try await store.policies().map(\.id) == ["p1"])
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func consoleSettingsAndTheAuditLogAreKept(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.saveConsoleObject(ConsoleObjectRecord(kind: "output", id: "es", body: #"{"name":"ES"}"#))
        try await store.saveConsoleObject(ConsoleObjectRecord(kind: "output", id: "es", body: #"{"name":"ES 2"}"#))
        try await store.saveConsoleObject(ConsoleObjectRecord(kind: "proxy", id: "p", body: "{}"))
        #expect(try await other.consoleObject(kind: "output", id: "es")?.body == #"{"name":"ES 2"}"#)
        #expect(try await other.consoleObjects(kind: "output").map(\.id) == ["es"])
        #expect(try await store.deleteConsoleObject(kind: "output", id: "es"))
        #expect(try await !store.deleteConsoleObject(kind: "output", id: "es"))
        #expect(try await store.consoleObject(kind: "proxy", id: "p") != nil)
        let first = try await store.appendAudit(AuditRecord(actor: "user:a", action: "outputs.create", target: "es"))
        let second = try await other.appendAudit(AuditRecord(actor: "api_key:b", action: "outputs.delete", target: "es", detail: "gone"))
        #expect(second.sequence > first.sequence)
        #expect(try await store.auditLog(limit: 10).map(\.action) == ["outputs.delete", "outputs.create"])
        #expect(try await store.auditLog(limit: 1).map(\.detail) == ["gone"])
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func agentsAreReassignedAndPoliciesDeletedOnlyWithoutAgents(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.savePolicy(PolicyRecord(id: "p2", name: "Two"))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t1", name: "t", policyId: "p2", secretHash: Secrets.hash("s")))
        try await store.createAgent(agent("a1"))
        try await store.recordCheckins([CheckinRecord(
            agentId: "a1", at: Date(), status: "online", message: "", policyRevision: 1,
            certificateSubject: "agent", certificateFingerprint: "ab", certificateIssuer: "CN=Agent CA", certificateNotAfter: Date(timeIntervalSince1970: 2_000_000_000)
        )])
        let checkedIn = try #require(try await other.agent(id: "a1"))
        #expect(checkedIn.certificateIssuer == "CN=Agent CA")
        #expect(checkedIn.certificateNotAfter == Date(timeIntervalSince1970: 2_000_000_000))
        #expect(try await !store.deletePolicy(id: "p1"))
        try await other.assignAgent(id: "a1", policyId: "p2", tags: ["web"])
        let moved = try #require(try await store.agent(id: "a1"))
        #expect(moved.policyId == "p2" && moved.tags == ["web"] && moved.policyRevision == nil)
        #expect(try await store.deletePolicy(id: "p1"))
        #expect(try await store.policy(id: "p1") == nil)
        #expect(try await !store.deletePolicy(id: "p2"))
        try await store.markUnenrolled(agentId: "a1", at: Date())
        #expect(try await store.deletePolicy(id: "p2"))
        #expect(try await store.enrollmentTokens().isEmpty)
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func enrollmentTokensCountUsesAndCanBeRevoked(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t1", name: "once", policyId: "p1", secretHash: Secrets.hash("s1"), maxUses: 1))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t2", name: "many", policyId: "p1", secretHash: Secrets.hash("s2")))
        #expect(try await store.enrollmentToken(secretHash: Secrets.hash("s1"))?.id == "t1")
        #expect(try await store.enrollmentToken(secretHash: Secrets.hash("nope")) == nil)
        #expect(try await store.enroll(EnrollmentRecord(tokenId: "t1", agent: agent("a1"))) == .enrolled(replaced: false))
        #expect(try await other.enroll(EnrollmentRecord(tokenId: "t1", agent: agent("a2"))) == .tokenRefused)
        #expect(try await store.enroll(EnrollmentRecord(tokenId: "t2", agent: agent("a3"))) == .enrolled(replaced: false))
        #expect(try await store.revokeEnrollmentToken(id: "t2"))
        #expect(try await store.enroll(EnrollmentRecord(tokenId: "t2", agent: agent("a4"))) == .tokenRefused)
        #expect(try await !store.revokeEnrollmentToken(id: "t9"))
        #expect(try await store.enrollmentTokens().map(\.uses) == [1, 1])
        #expect(try await store.agents().map(\.id).sorted() == ["a1", "a3"])
        try await store.addServiceToken(name: "fs", secretHash: Secrets.hash("service"))
        #expect(try await other.serviceTokenExists(secretHash: Secrets.hash("service")))
        #expect(try await !other.serviceTokenExists(secretHash: Secrets.hash("other")))
        #expect(try await other.revokeServiceToken(name: "fs"))
        #expect(try await !store.serviceTokenExists(secretHash: Secrets.hash("service")))
        #expect(try await !store.revokeServiceToken(name: "nobody"))
        #expect(try await store.serviceTokens().map { "\($0.name) \($0.revoked)" } == ["fs true"])
        try await store.close()
        try await other.close()
    }

    /// Twenty enrollments at once, through two handles (two Fleet Servers), on a token with one use: one agent is
    /// in, the others are refused, and the token counts one use.
    @Test(.timeLimit(.minutes(2)), arguments: Kind.allCases) func racingEnrollmentsOnAOneUseTokenLetExactlyOneIn(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t1", name: "once", policyId: "p1", secretHash: Secrets.hash("s1"), maxUses: 1))
        let outcomes = try await withThrowingTaskGroup(of: EnrollmentOutcome.self) { group in
            for index in 0..<20 {
                let handle = index.isMultiple(of: 2) ? store : other
                let record = EnrollmentRecord(tokenId: "t1", agent: agent("racer-\(index)"))
                group.addTask { try await handle.enroll(record) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .enrolled(replaced: false) }.count == 1)
        #expect(outcomes.filter { $0 == .tokenRefused }.count == 19)
        #expect(try await store.agents().count == 1)
        #expect(try await other.enrollmentTokens().map(\.uses) == [1])
        try await store.close()
        try await other.close()
    }

    /// Ten first enrollments of one agent id at once, on a token without a limit: one is in, the others find the
    /// agent enrolled, and none of them spent a use.
    @Test(.timeLimit(.minutes(2)), arguments: Kind.allCases) func racingEnrollmentsOfOneIdSpendOneUse(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t1", name: "many", policyId: "p1", secretHash: Secrets.hash("s1")))
        let outcomes = try await withThrowingTaskGroup(of: EnrollmentOutcome.self) { group in
            for index in 0..<10 {
                let handle = index.isMultiple(of: 2) ? store : other
                var record = agent("same")
                record.apiKeyId = "key-\(index)"
                let enrollment = EnrollmentRecord(tokenId: "t1", agent: record)
                group.addTask { try await handle.enroll(enrollment) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .enrolled(replaced: false) }.count == 1)
        #expect(outcomes.filter { $0 == .agentExists }.count == 9)
        #expect(try await store.enrollmentTokens().map(\.uses) == [1])
        try await store.close()
        try await other.close()
    }

    /// Replacing needs the replace token the agent was enrolled with; an expired token is refused; and a write that
    /// fails part way (its certificate is already on record) leaves no agent and spends no use.
    @Test(arguments: Kind.allCases) func anEnrollmentIsWrittenWholeOrNotAtAll(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(id: "t1", name: "many", policyId: "p1", secretHash: Secrets.hash("s1")))
        try await store.createEnrollmentToken(EnrollmentTokenRecord(
            id: "t2", name: "old", policyId: "p1", secretHash: Secrets.hash("s2"), expiresAt: Date().addingTimeInterval(-60)
        ))
        var first = agent("a1")
        first.replaceTokenHash = Secrets.hash("replace-me")
        #expect(try await store.enroll(EnrollmentRecord(tokenId: "t1", agent: first)) == .enrolled(replaced: false))
        var second = agent("a1")
        second.apiKeyId = "key-a1-again"
        #expect(try await other.enroll(EnrollmentRecord(tokenId: "t1", agent: second)) == .agentExists)
        #expect(try await other.enroll(EnrollmentRecord(tokenId: "t1", agent: second, presentedReplaceTokenHash: Secrets.hash("wrong"))) == .agentExists)
        #expect(try await other.enroll(EnrollmentRecord(tokenId: "t1", agent: second, presentedReplaceTokenHash: Secrets.hash("replace-me"))) == .enrolled(replaced: true))
        #expect(try await store.agent(id: "a1")?.apiKeyId == "key-a1-again")
        #expect(try await store.enroll(EnrollmentRecord(tokenId: "t2", agent: agent("a2"))) == .tokenRefused)

        let certificate = IssuedCertificateRecord(
            fingerprint: "f1", agentId: "a1", serial: "1", subject: "CN=a1", issuer: "CN=CA", issuerFingerprint: "ca",
            notBefore: Date(), notAfter: Date().addingTimeInterval(3_600)
        )
        try await store.recordIssuedCertificate(certificate)
        var withCertificate = EnrollmentRecord(tokenId: "t1", agent: agent("a3"), certificate: certificate)
        withCertificate.certificate?.agentId = "a3"
        await #expect(throws: (any Error).self) { try await other.enroll(withCertificate) }
        #expect(try await store.agent(id: "a3") == nil)
        #expect(try await store.enrollmentTokens().first { $0.id == "t1" }?.uses == 2)
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func agentsAndTheirBatchedCheckins(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createAgent(agent("a1"))
        try await store.createAgent(agent("a2"))
        try await store.createAgent(agent("a3"))
        #expect(try await other.agent(apiKeyId: "key-a2")?.id == "a2")
        #expect(try await other.agent(id: "a1")?.tags == ["a", "b"])

        let now = Date()
        try await store.recordCheckins([
            CheckinRecord(agentId: "a1", at: now, status: "online", message: "Running", policyRevision: 4, certificateSubject: "agent-1"),
            CheckinRecord(agentId: "a2", at: now, status: "degraded", message: "Broken TLS"),
        ])
        try await store.markUnenrolled(agentId: "a3", at: now)
        try await store.recordCheckins([CheckinRecord(agentId: "a1", at: now, status: "online", message: "Still"), CheckinRecord(agentId: "a3", at: now, status: "online", message: "ghost")])
        let first = try #require(try await other.agent(id: "a1"))
        #expect(first.lastStatus == "online" && first.lastMessage == "Still")
        #expect(first.policyRevision == 4)  // a check-in without a revision keeps the last one
        #expect(first.certificateSubject == "agent-1")
        #expect(abs((first.lastCheckinAt ?? .distantPast).timeIntervalSince(now)) < 0.01)
        #expect(try await other.agent(id: "a2")?.lastStatus == "degraded")
        let gone = try #require(try await other.agent(id: "a3"))
        #expect(gone.lastStatus == "unenrolled" && gone.apiKeyRevoked && gone.unenrolledAt != nil)

        try await store.revokeAgentKey(agentId: "a2")
        #expect(try await other.agent(id: "a2")?.apiKeyRevoked == true)
        var replaced = agent("a2")
        replaced.apiKeyId = "key-a2-new"
        try await store.replaceAgent(replaced)
        #expect(try await other.agent(id: "a2")?.apiKeyRevoked == false)
        #expect(try await other.agent(apiKeyId: "key-a2-new")?.id == "a2")
        #expect(try await other.agents().count == 3)
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func actionsReachOnlyTheirTargetsInOrderUntilTheyExpire(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        let first = try await store.addAction(ActionRecord(id: "x1", type: "SETTINGS", agentIds: ["a1", "a2"]))
        let second = try await other.addAction(ActionRecord(id: "x2", type: "UNENROLL", agentIds: ["a1"]))
        _ = try await store.addAction(ActionRecord(id: "x3", type: "SETTINGS", agentIds: ["a1"], expiresAt: Date().addingTimeInterval(-1)))
        #expect(second.sequence > first.sequence)
        #expect(try await store.actions(forAgent: "a1", after: 0, now: Date()).map(\.id) == ["x1", "x2"])
        #expect(try await store.actions(forAgent: "a1", after: first.sequence, now: Date()).map(\.id) == ["x2"])
        #expect(try await store.actions(forAgent: "a2", after: 0, now: Date()).map(\.id) == ["x1"])
        #expect(try await other.action(id: "x1")?.agentIds.sorted() == ["a1", "a2"])
        #expect(try await other.action(id: "none") == nil)

        try await store.recordResults([ActionResultRecord(actionId: "x1", agentId: "a1", error: "failed")])
        // One acknowledgement may carry two events for the same action (started, then done): the last wins.
        try await other.recordResults([
            ActionResultRecord(actionId: "x1", agentId: "a1", error: "still running"), ActionResultRecord(actionId: "x1", agentId: "a1"),
            ActionResultRecord(actionId: "x1", agentId: "a2", payload: #"{"k":1}"#),
        ])
        let results = try await store.results(actionId: "x1")
        #expect(results.map(\.agentId) == ["a1", "a2"])
        #expect(results.map(\.error) == ["", ""])  // a later result replaces an earlier one
        #expect(results[1].payload == #"{"k":1}"#)
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func changesCommittedElsewhereAreAnnouncedOnce(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        let heard = LockedBox<[StoreChange]>([])
        store.changes.listen { change in heard.withLock { $0.append(change) } }
        let watcher = Task { await store.run() }
        defer { watcher.cancel() }

        // Written here: announced at once. Written by the other handle (another Fleet Server, the CLI): announced
        // when the watcher hears of it (LISTEN/NOTIFY for PostgreSQL, one query every half second for SQLite).
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        #expect(heard.withLock { $0 } == [.policy(id: "p1", revision: 1)])
        try await other.savePolicy(PolicyRecord(id: "p1", name: "One"))
        let action = try await other.addAction(ActionRecord(id: "x1", type: "SETTINGS", agentIds: ["a1", "a2"]))
        // A last change, written after the others and heard after them: once it is heard, a duplicate of the
        // first three would have been heard too.
        try await other.savePolicy(PolicyRecord(id: "p9", name: "Last"))
        let heardLast = await eventually(within: 30) { heard.withLock { $0.contains(.policy(id: "p9", revision: 1)) } }
        #expect(heardLast, "the store's watcher never announced a change written by another handle")
        let changes = heard.withLock { $0 }
        #expect(changes.first == .policy(id: "p1", revision: 1))
        #expect(changes.filter { $0 == .policy(id: "p1", revision: 2) }.count == 1)
        #expect(changes.filter { if case .action(action.sequence, let ids) = $0 { ids.sorted() == ["a1", "a2"] } else { false } }.count == 1)
        #expect(changes.count == 4, "heard \(changes)")
        watcher.cancel()
        try await store.close()
        try await other.close()
    }

    @Test(arguments: Kind.allCases) func issuedCertificatesAreListedAndRevokedWithTheirAgentEverywhere(_ kind: Kind) async throws {
        let (store, other) = try await freshStores(kind)
        let heard = LockedBox<[StoreChange]>([])
        store.changes.listen { change in heard.withLock { $0.append(change) } }
        let watcher = Task { await store.run() }
        defer { watcher.cancel() }
        try await store.savePolicy(PolicyRecord(id: "p1", name: "One"))
        try await store.createAgent(agent("a1"))
        try await store.createAgent(agent("a2"))
        let now = Date()
        func issued(_ fingerprint: String, _ agentId: String, lifetime: TimeInterval = 3_600, at: TimeInterval = 0) -> IssuedCertificateRecord {
            IssuedCertificateRecord(
                fingerprint: fingerprint, agentId: agentId, serial: "01", subject: agentId, issuer: "Flotilla Agent CA",
                notBefore: now, notAfter: now.addingTimeInterval(lifetime), issuedAt: now.addingTimeInterval(at)
            )
        }
        try await store.recordIssuedCertificate(issued("f1", "a1"))
        try await store.recordIssuedCertificate(issued("f2", "a1", at: 1))
        try await store.recordIssuedCertificate(issued("f3", "a2"))
        try await store.recordIssuedCertificate(issued("old", "a1", lifetime: -60, at: -120))
        #expect(try await store.issuedCertificates(agentId: "a1").map(\.fingerprint) == ["f2", "f1", "old"])
        #expect(try await store.issuedCertificates(agentId: nil).count == 4)
        #expect(try await store.revokedCertificateFingerprints(now: now).isEmpty)

        // Revoked through the other handle (the CLI, another Fleet Server): this one hears of it and lists them.
        try await other.revokeAgentKey(agentId: "a1")
        #expect(await eventually(within: 20) { heard.withLock { $0.contains(.revocation) } })
        // An expired certificate needs no refusing; the other agent's stay valid.
        #expect(try await store.revokedCertificateFingerprints(now: now) == ["f1", "f2"])
        #expect(try await store.issuedCertificates(agentId: "a1").allSatisfy { $0.revokedAt != nil })
        #expect(try await store.issuedCertificates(agentId: "a2").first?.revokedAt == nil)
        try await store.markUnenrolled(agentId: "a2", at: now)
        #expect(try await store.revokedCertificateFingerprints(now: now) == ["f1", "f2", "f3"])
        watcher.cancel()
        try await store.close()
        try await other.close()
    }
}
