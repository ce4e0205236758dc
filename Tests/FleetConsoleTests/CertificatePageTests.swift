import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The console's Certificates page: issued and hand-made certificates with the time they have left, the banner on
/// every page, and the agent CA rotation moved on, refused and rolled back through its buttons (audited).
@Suite(.timeLimit(.minutes(5))) struct CertificatePageTests {
    @Test func thePageListsCertificatesWarnsAndDrivesTheRotation() async throws {
        let harness = try await ConsoleHarness()
        let store = harness.store
        let now = Date()
        try await store.createAgent(AgentRecord(
            id: "renewing-agent", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k1", apiKeyHash: Secrets.hash("s1"),
            localMetadata: #"{"host":{"hostname":"web-1"}}"#
        ))
        try await store.createAgent(AgentRecord(
            id: "hand-made-agent", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k2", apiKeyHash: Secrets.hash("s2"),
            localMetadata: #"{"host":{"hostname":"db-1"}}"#
        ))
        // The hand-made certificate of db-1 ends in five days: a danger banner on every page.
        try await store.recordCheckins([CheckinRecord(
            agentId: "hand-made-agent", at: now, status: "online", message: "", certificateSubject: "flotilla-agent",
            certificateFingerprint: String(repeating: "ab", count: 32), certificateIssuer: "CN=Flotilla Agent CA",
            certificateNotAfter: now.addingTimeInterval(5 * 86_400)
        )])
        let oldCA = try #require(try CertificateFiles.loadChain(harness.certificates.agentCA, role: "CA").first)
        try await store.recordIssuedCertificate(IssuedCertificateRecord(
            fingerprint: String(repeating: "cd", count: 32), agentId: "renewing-agent", serial: "01", subject: "renewing-agent",
            issuer: "Flotilla Agent CA", issuerFingerprint: oldCA.sha256Fingerprint, notBefore: now, notAfter: now.addingTimeInterval(25 * 86_400)
        ))
        let made = try PKI.makeCA(commonName: "Flotilla Agent CA 2", validityDays: 3650)
        try await store.saveAgentCARotation(AgentCARotation(
            phase: .issueNew, previousCertificate: oldCA.pemText, nextCertificate: made.certificate.pemText,
            nextKey: try made.key.pem(passphrase: Array("test".utf8))
        ))
        try await store.publishFleetServerCertificates(FleetServerCertificates(server: "fleet-1:8220", certificates: [
            .init(use: "server certificate", subject: "fleet.example.com", issuer: "Flotilla Fleet CA", fingerprint: String(repeating: "ef", count: 32), notAfter: now.addingTimeInterval(20 * 86_400)),
        ]))
        try await harness.console.accounts.addUser("carol", password: "correct horse battery", role: .admin)

        try await harness.run { client in
            let login = try await client.form("/login", ["user": "carol", "password": "correct horse battery"], cookie: nil)
            let cookie = String(try #require(login.headers[.setCookie]).split(separator: ";")[0])
            let page = try await client.call(.get, "/certificates", headers: [.cookie: cookie])
            #expect(page.status == .ok)
            // The issued certificate renews itself: 25 days left is healthy; the hand-made one is in danger.
            #expect(page.text.contains("web-1") && (page.text.contains("24 days left") || page.text.contains("25 days left")), "\(page.text)")
            #expect(page.text.contains("db-1") && page.text.contains(#"badge danger">4 days left"#), "\(page.text)")
            #expect(page.text.contains(#"class="banner danger""#) && page.text.contains("the client certificate flotilla-agent of agent hand-made-agent"))
            #expect(page.text.contains("fleet-1:8220") && page.text.contains(#"badge warn">19 days left"#), "\(page.text)")
            #expect(page.text.contains("<b>2. issue-new</b>") && page.text.contains("<dt>On the old CA</dt><dd>1</dd>"), "\(page.text)")
            let agents = try await client.call(.get, "/agents", headers: [.cookie: cookie])
            #expect(agents.text.contains(#"class="banner danger""#), "the banner shows on every page")

            // Retiring the old CA while an agent is on it is refused with the reason; forcing it works; rollback too.
            let csrf = try ConsoleHarness.csrfToken(in: page.text)
            let refused = try await client.form("/certificates/rotation/next", ["_csrf": csrf], cookie: cookie)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("1 active agent is still on the old CA"), "\(refused.text)")
            #expect(try await store.agentCARotation()?.phase == .issueNew)
            let forced = try await client.form("/certificates/rotation/next", ["_csrf": csrf, "force": "true"], cookie: cookie)
            #expect(forced.status == .found)
            #expect(try await store.agentCARotation()?.phase == .retireOld)
            let back = try await client.form("/certificates/rotation/rollback", ["_csrf": csrf], cookie: cookie)
            #expect(back.status == .found)
            #expect(try await store.agentCARotation()?.phase == .issueNew)
            let renew = try await client.form("/certificates/rotation/renew-all", ["_csrf": csrf], cookie: cookie)
            #expect(renew.status == .found)
            #expect(try await store.actions(forAgent: "renewing-agent", after: 0, now: Date()).contains { $0.type == "CERTIFICATE_RENEW" })
        }
        let audit = try await store.auditLog(limit: 10).map(\.action)
        #expect(audit.contains("agent_ca.rotate") && audit.contains("agent_ca.rollback") && audit.contains("agent_ca.renew_all"))
    }
}
