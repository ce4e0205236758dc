@testable import FleetConsole
import FleetProtocol
import FleetServer
import FleetStore
import Foundation
import HTTPTypes
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2)))
struct ManagementAPITests {
    let certs = CertificateFixtures.shared

    func host(_ ssl: JSONValue = [:], urls: [String] = ["https://localhost:8220"], isDefault: Bool = true) -> JSONValue {
        ["name": "main", "host_urls": .array(urls.map { .string($0) }), "is_default": .bool(isDefault), "ssl": ssl]
    }

    @Test func testFleetServerHostAgentCAsReachThePolicyAsFleetSSLWithANewRevision() async throws {
        let harness = try await ConsoleHarness()
        let before = try await harness.policy(StoreSetup.defaultPolicyId)["revision"]?.intValue ?? 0
        try await harness.run { client in
            let made = try await client.call(.post, "/api/fleet/fleet_server_hosts", host(["agent_certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.fleetCert)]))
            #expect(made.status == .ok, "\(made.text)")
            let id = try #require(made.json[["item", "id"]]?.stringValue)
            let full = try await client.call(.get, "/api/fleet/agent_policies/\(StoreSetup.defaultPolicyId)/full")
            #expect(full.json[["item", "fleet", "hosts"]] == ["https://localhost:8220"])
            #expect(full.json[["item", "fleet", "ssl", "certificate_authorities"]] == .array([.string(certs.fleetCA)]))
            #expect((full.json[["item", "revision"]]?.intValue ?? 0) > before)
            let read = try await client.call(.get, "/api/fleet/fleet_server_hosts/\(id)")
            #expect(read.json[["item", "name"]] == "main")
            let listed = try await client.call(.get, "/api/fleet/fleet_server_hosts")
            #expect(listed.json["total"]?.intValue == 1)
        }
        // The default output adopted from the store's own policy stays in what agents receive.
        let policy = try await harness.policy(StoreSetup.defaultPolicyId)
        #expect(policy[["outputs", "default", "hosts"]] == ["https://localhost:9200"])
    }

    @Test func testFleetServerListenerSettingsGoToTheFleetServerPolicyInput() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let ssl: JSONValue = [
                "certificate": .string(certs.fleetCert), "key": .string(certs.fleetKey), "client_auth": "required",
                "certificate_authorities": [.string(certs.agentCA)], "es_certificate_authorities": [.string(certs.fleetCA)],
            ]
            let made = try await client.call(.post, "/api/fleet/fleet_server_hosts", host(ssl))
            #expect(made.status == .ok, "\(made.text)")
        }
        let policy = try await harness.policy(StoreSetup.fleetServerPolicyId)
        let input = try #require(policy["inputs"]?.arrayValue?.first { $0["type"] == "fleet-server" })
        #expect(input[["server", "ssl", "client_authentication"]] == "required")
        #expect(input[["server", "ssl", "certificate"]] == .string(certs.fleetCert))
        #expect(input[["server", "store", "ssl", "certificate_authorities"]] == .array([.string(certs.fleetCA)]))
    }

    @Test func testInlinePrivateKeyIsSealedInTheStoreAndNeverShownBack() async throws {
        let harness = try await ConsoleHarness()
        let keyPEM = try String(contentsOfFile: certs.fleetKey, encoding: .utf8)
        try await harness.run { client in
            let made = try await client.call(.post, "/api/fleet/fleet_server_hosts", host(["certificate": .string(certs.fleetCert), "key": .string(keyPEM)]))
            #expect(made.status == .ok, "\(made.text)")
            #expect(!made.text.contains("PRIVATE KEY"))
            #expect(made.json[["item", "secrets", "ssl", "key", "id"]] != nil)
            // The Fleet Server policy carries the key for the Fleet Servers that serve it.
            let policy = try await harness.policy(StoreSetup.fleetServerPolicyId)
            #expect(policy["inputs"]?[0]?[["server", "ssl", "key"]]?.stringValue?.contains("PRIVATE KEY") == true)
            let id = try #require(made.json[["item", "id"]]?.stringValue)
            // An update that leaves the key out keeps it.
            let renamed = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)", ["name": "renamed"])
            #expect(renamed.status == .ok)
            #expect(renamed.json[["item", "secrets", "ssl", "key", "id"]] != nil)
            // A key given anew replaces the stored one; an empty one removes it.
            let replaced = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)", ["ssl": ["key": .string(certs.fleetKey)]])
            #expect(replaced.json[["item", "ssl", "key"]] == .string(certs.fleetKey))
            #expect(replaced.json[["item", "secrets"]] == nil)
            let cleared = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)", ["ssl": ["key": "", "certificate": ""]])
            #expect(cleared.status == .ok, "\(cleared.text)")
            #expect(cleared.json[["item", "ssl", "key"]] == nil)
        }
        let stored = try await harness.store.consoleObjects(kind: "fleet_server_host")
        #expect(stored.count == 1)
        #expect(!stored[0].body.contains("PRIVATE KEY"))
    }

    @Test func testEachBadSSLSettingIsRefusedWithTheFieldNamedAndNothingSaved() async throws {
        let harness = try await ConsoleHarness()
        let missing = harness.directory.file("missing.crt")
        let cases: [(JSONValue, String)] = [
            (host(["certificate": .string(missing)]), "ssl.certificate"),
            (host(["certificate": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"]), "ssl.certificate"),
            (host(["certificate": .string(certs.fleetCert), "key": .string(certs.path("other-ca-server.key"))]), "ssl.key"),
            (host(["certificate": .string(certs.fleetCert), "agent_certificate_authorities": [.string(certs.agentCA)]]), "ssl.agent_certificate_authorities"),
            (host(["client_auth": "required"]), "ssl.client_auth"),
            (host(["client_auth": "sometimes"]), "ssl.client_auth"),
            (host(urls: ["fleet.example.com:8220"]), "host_urls[0]"),
            (host(urls: []), "host_urls"),
            (["name": "x"], "host_urls"),
        ]
        try await harness.run { client in
            for (body, field) in cases {
                let answer = try await client.call(.post, "/api/fleet/fleet_server_hosts", body)
                #expect(answer.status == .badRequest, "\(field): \(answer.text)")
                let message = answer.json["message"]?.stringValue ?? ""
                #expect(message.contains(field), "\(message)")
                #expect(!message.contains("BoringSSL") && !message.contains("Error("), "\(message)")
            }
            let output = try await client.call(.post, "/api/fleet/outputs", ["name": "es", "hosts": ["https://es:9200"], "ssl": ["verification_mode": "strict"]])
            #expect(output.status == .badRequest)
            #expect(output.json["message"]?.stringValue?.contains("ssl.verification_mode") == true)
            let proxy = try await client.call(.post, "/api/fleet/proxies", ["name": "p", "url": "ftp://proxy:21"])
            #expect(proxy.json["message"]?.stringValue?.contains("url") == true)
        }
        #expect(try await harness.store.consoleObjects(kind: "fleet_server_host").isEmpty)
        #expect(try await harness.store.auditLog(limit: 10).isEmpty)
    }

    @Test func testOutputSSLReachesAgentsAndOnlyOneDefaultStays() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let made = try await client.call(.post, "/api/fleet/outputs", [
                "id": "secure-es", "name": "Secure ES", "hosts": ["https://es.example.com:9200"], "is_default": true,
                "ssl": ["certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.agentCert), "verification_mode": "full"],
            ])
            #expect(made.status == .ok, "\(made.text)")
            let outputs = try await client.call(.get, "/api/fleet/outputs")
            let defaults = outputs.json["items"]?.arrayValue?.filter { $0["is_default"] == true }.compactMap { $0["id"]?.stringValue }
            #expect(defaults == ["secure-es"])
            let deleteDefault = try await client.call(.delete, "/api/fleet/outputs/secure-es")
            #expect(deleteDefault.status == .conflict)
        }
        let policy = try await harness.policy(StoreSetup.defaultPolicyId)
        #expect(policy[["outputs", "secure-es", "ssl", "certificate_authorities"]] == .array([.string(certs.fleetCA)]))
        #expect(policy[["outputs", "secure-es", "ssl", "certificate"]] == .string(certs.agentCert))
    }

    @Test func testRemoteAndFileOutputsNeedTheirOwnFieldsAndKeepTheTokenSealed() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let noPath = try await client.call(.post, "/api/fleet/outputs", ["name": "files", "type": "file"])
            #expect(noPath.status == .badRequest && noPath.json["message"]?.stringValue?.hasPrefix("path:") == true, "\(noPath.text)")
            let noToken = try await client.call(.post, "/api/fleet/outputs", ["name": "remote", "type": "remote_elasticsearch", "hosts": ["https://remote:9200"]])
            #expect(noToken.status == .badRequest && noToken.json["message"]?.stringValue?.contains("service_token") == true, "\(noToken.text)")
            let kafka = try await client.call(.post, "/api/fleet/outputs", ["name": "k", "type": "kafka", "hosts": ["k:9092"]])
            #expect(kafka.status == .badRequest && kafka.json["message"]?.stringValue?.contains("remote_elasticsearch") == true)

            let files = try await client.call(.post, "/api/fleet/outputs", ["id": "files", "name": "files", "type": "file", "path": "/var/lib/flotilla/events"])
            #expect(files.status == .ok, "\(files.text)")
            let remote = try await client.call(.post, "/api/fleet/outputs", [
                "id": "remote", "name": "remote", "type": "remote_elasticsearch", "hosts": ["https://remote:9200"],
                "service_token": "AAEAAWVsYXN0aWMvZmxlZXQtc2VydmVyL3Rva2VuLTE6c2VjcmV0", "is_default": true,
            ])
            #expect(remote.status == .ok, "\(remote.text)")
            #expect(!remote.text.contains("AAEAAWVsYXN0aWMv"), "the service token must not be shown back")
            let shown = try await client.call(.get, "/api/fleet/outputs/remote")
            #expect(!shown.text.contains("AAEAAWVsYXN0aWMv") && shown.json[["item", "secrets", "service_token"]] != nil, "\(shown.text)")
        }
        let stored = try await harness.store.consoleObjects(kind: "output")
        #expect(!stored.contains { $0.body.contains("AAEAAWVsYXN0aWMv") }, "the service token is sealed in the store")
        let policy = try await harness.policy(StoreSetup.defaultPolicyId)
        #expect(policy[["outputs", "remote", "type"]] == "remote_elasticsearch")
        #expect(policy[["outputs", "remote", "service_token"]] == "AAEAAWVsYXN0aWMvZmxlZXQtc2VydmVyL3Rva2VuLTE6c2VjcmV0")
    }

    @Test func testAuthenticationRolesAndCSRF() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            #expect(try await client.call(.get, "/api/fleet/outputs", headers: [.cookie: "x=y"]).status == .unauthorized)
            #expect(try await client.call(.get, "/api/fleet/outputs", key: "bm90OmEta2V5").status == .unauthorized)
            #expect(try await client.call(.get, "/api/fleet/outputs", key: harness.viewerKey).status == .ok)
            let viewerWrite = try await client.call(.post, "/api/fleet/proxies", ["name": "p", "url": "http://proxy:3128"], key: harness.viewerKey)
            #expect(viewerWrite.status == .forbidden)
            #expect(try await client.call(.get, "/api/status", headers: [.cookie: "none=1"]).status == .ok)
            // A browser session: log in, then a form without the CSRF token is refused.
            try await harness.console.accounts.addUser("alice", password: "correct horse battery", role: .admin)
            let wrong = try await client.form("/login", ["user": "alice", "password": "wrong password!"], cookie: nil)
            #expect(wrong.status == .unauthorized)
            let login = try await client.form("/login", ["user": "alice", "password": "correct horse battery"], cookie: nil)
            #expect(login.status == .found)
            let setCookie = try #require(login.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let forged = try await client.form("/enrollment-tokens", ["policy_id": StoreSetup.defaultPolicyId, "name": "forged"], cookie: cookie)
            #expect(forged.status == .forbidden)
            let page = try await client.call(.get, "/enrollment-tokens", headers: [.cookie: cookie])
            let csrf = try ConsoleHarness.csrfToken(in: page.text)
            let made = try await client.form("/enrollment-tokens", ["policy_id": StoreSetup.defaultPolicyId, "name": "from-ui", "_csrf": csrf], cookie: cookie)
            #expect(made.status == .ok)
            #expect(made.text.contains("Copy it now"))
        }
        #expect(try await harness.store.enrollmentTokens().map(\.name).contains("from-ui"))
        #expect(!(try await harness.store.enrollmentTokens().map(\.name).contains("forged")))
        #expect(try await harness.store.auditLog(limit: 10).contains { $0.actor == "user:alice" && $0.action == "enrollment_api_keys.create" })
    }

    @Test func testPreflightRefusesRequiredClientAuthForAgentsWithoutCertificatesUnlessForced() async throws {
        let harness = try await ConsoleHarness()
        _ = try await harness.store.createAgent(AgentRecord(id: "agent-1", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k1", apiKeyHash: "h"))
        try await harness.run { client in
            let made = try await client.call(.post, "/api/fleet/fleet_server_hosts", host())
            let id = try #require(made.json[["item", "id"]]?.stringValue)
            let required: JSONValue = ["ssl": ["client_auth": "required", "certificate_authorities": [.string(certs.agentCA)]]]
            let refused = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)", required)
            #expect(refused.status == .conflict)
            #expect(refused.json["message"]?.stringValue?.hasPrefix("1 of 1 agents would lose their connection") == true, "\(refused.text)")
            #expect(refused.json[["attributes", "preflight", "agents"]]?[0]?["id"] == "agent-1")
            let policy = try await client.call(.get, "/api/fleet/agent_policies/\(StoreSetup.fleetServerPolicyId)/full")
            #expect(policy.json[["item", "inputs"]]?[0]?["server"] == nil)
            let forced = try await client.call(.put, "/api/fleet/fleet_server_hosts/\(id)?force=true", required)
            #expect(forced.status == .ok, "\(forced.text)")
        }
    }

    @Test func testAgentsListFiltersReassignAndUnenroll() async throws {
        let harness = try await ConsoleHarness()
        let now = Date()
        try await harness.store.createAgent(AgentRecord(id: "a-healthy", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k1", apiKeyHash: "h", tags: ["web"], localMetadata: #"{"host":{"hostname":"web-1"}}"#))
        try await harness.store.createAgent(AgentRecord(id: "a-offline", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k2", apiKeyHash: "h", enrolledAt: now.addingTimeInterval(-3600)))
        try await harness.store.recordCheckins([CheckinRecord(agentId: "a-healthy", at: now, status: "online", message: "Running", policyRevision: 1)])
        try await harness.store.recordCheckins([CheckinRecord(agentId: "a-offline", at: now.addingTimeInterval(-600), status: "online", message: "Running", policyRevision: 1)])
        try await harness.run { client in
            let healthy = try await client.call(.get, "/api/fleet/agents?kuery=status:healthy")
            #expect(healthy.json["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["a-healthy"])
            let offline = try await client.call(.get, "/api/fleet/agents?kuery=status:offline")
            #expect(offline.json["total"]?.intValue == 1)
            let tagged = try await client.call(.get, "/api/fleet/agents?kuery=tags:web%20and%20web-1")
            #expect(tagged.json["total"]?.intValue == 1)
            // Found by schemathesis: a page number whose offset overflowed crashed the console.
            let farPage = try await client.call(.get, "/api/fleet/agents?page=\(Int.max)&perPage=10000")
            #expect(farPage.status == .ok)
            #expect(farPage.json["items"] == [])
            let counts = try await client.call(.get, "/api/fleet/agent_status")
            #expect(counts.json[["results", "online"]]?.intValue == 1)
            #expect(counts.json[["results", "offline"]]?.intValue == 1)
            let reassigned = try await client.call(.post, "/api/fleet/agents/a-healthy/reassign", ["policy_id": .string(StoreSetup.fleetServerPolicyId)])
            #expect(reassigned.status == .ok)
            let unknownPolicy = try await client.call(.post, "/api/fleet/agents/a-healthy/reassign", ["policy_id": "nope"])
            #expect(unknownPolicy.status == .badRequest)
            #expect(try await client.call(.post, "/api/fleet/agents/a-offline/unenroll", ["revoke": true]).status == .ok)
            #expect(try await client.call(.get, "/api/fleet/agents/missing").status == .notFound)
        }
        #expect(try await harness.store.agent(id: "a-healthy")?.policyId == StoreSetup.fleetServerPolicyId)
        let actions = try await harness.store.actions(forAgent: "a-healthy", after: 0, now: Date())
        #expect(actions.map(\.type) == ["POLICY_REASSIGN"])
        #expect(try await harness.store.agent(id: "a-offline")?.apiKeyRevoked == true)
    }

    @Test func testEnrollmentKeySecretIsShownOnceAndStoredHashed() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let made = try await client.call(.post, "/api/fleet/enrollment_api_keys", ["policy_id": .string(StoreSetup.defaultPolicyId), "name": "ci", "max_uses": 2])
            let secret = try #require(made.json[["item", "api_key"]]?.stringValue)
            let listed = try await client.call(.get, "/api/fleet/enrollment_api_keys")
            #expect(!listed.text.contains(secret))
            #expect(try await client.call(.post, "/api/fleet/enrollment_api_keys", ["policy_id": "none"]).status == .badRequest)
            #expect(try await client.call(.post, "/api/fleet/enrollment_api_keys", ["policy_id": .string(StoreSetup.defaultPolicyId), "expiration": "soon"]).status == .badRequest)
            let forever = try await client.call(.post, "/api/fleet/enrollment_api_keys", ["policy_id": .string(StoreSetup.defaultPolicyId), "expiration": "999999h"])
            #expect(forever.json["message"]?.stringValue?.contains("more than ten years") == true)
            let id = try #require(made.json[["item", "id"]]?.stringValue)
            #expect(try await client.call(.delete, "/api/fleet/enrollment_api_keys/\(id)").status == .ok)
            let service = try await client.call(.post, "/api/fleet/service_tokens", ["name": "fs-2"])
            let value = try #require(service.json["value"]?.stringValue)
            #expect(try await harness.store.serviceTokenExists(secretHash: Secrets.hash(value)))
            #expect(try await client.call(.post, "/api/fleet/service_tokens", ["name": "fs-2"]).status == .conflict)
            #expect(try await harness.store.enrollmentToken(secretHash: Secrets.hash(secret))?.revoked == true)
        }
    }

    @Test func testMalformedBodiesGetOneSentence() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let notJSON = try await client.client.execute(uri: "/api/fleet/outputs", method: .post, headers: [.authorization: "ApiKey \(harness.adminKey)"], body: .init(string: "{nope")) { $0 }
            #expect(notJSON.status == .badRequest)
            let wrongType = try await client.call(.post, "/api/fleet/outputs", ["name": "x", "hosts": "https://es:9200"])
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.json["message"]?.stringValue?.contains("hosts") == true, "\(wrongType.text)")
            let policy = try await client.call(.post, "/api/fleet/agent_policies", ["name": "Web servers", "namespace": "Bad-Space"])
            #expect(policy.json["message"]?.stringValue?.contains("namespace") == true)
            let good = try await client.call(.post, "/api/fleet/agent_policies", ["name": "Web servers", "description": "nginx hosts"])
            #expect(good.status == .ok, "\(good.text)")
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct ConsoleResourceLifecycleTests {
    @Test func testProxyIsCreatedReadUpdatedAndDeletedOnlyOnceUnused() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            // A header value with a line break would write headers of its own into every CONNECT: refused, unsaved.
            for value in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\u{0}b"] {
                let injected = try await client.call(.post, "/api/fleet/proxies", [
                    "id": "evil", "name": "Evil", "url": "http://proxy.example.com:3128", "proxy_headers": ["X-Tenant": .string(value)],
                ])
                #expect(injected.status == .badRequest, "\(value.debugDescription): \(injected.text)")
                #expect(injected.json["message"]?.stringValue?.contains("proxy_headers") == true, "\(injected.text)")
                #expect(try await client.call(.get, "/api/fleet/proxies/evil").status == .notFound)
            }
            let made = try await client.call(.post, "/api/fleet/proxies", ["id": "squid", "name": "Squid", "url": "http://proxy.example.com:3128", "proxy_headers": ["Proxy-Authorization": "Basic eDp5"]])
            #expect(made.status == .ok, "\(made.text)")
            #expect(try await client.call(.get, "/api/fleet/proxies/squid").json[["item", "url"]] == "http://proxy.example.com:3128")
            let updated = try await client.call(.put, "/api/fleet/proxies/squid", ["url": "https://proxy.example.com:3129"])
            #expect(updated.json[["item", "url"]] == "https://proxy.example.com:3129")
            #expect(updated.json[["item", "name"]] == "Squid")
            let host: JSONValue = ["name": "behind", "host_urls": ["https://fleet.example.com:8220"], "is_default": true, "proxy_id": "squid"]
            let hostMade = try await client.call(.post, "/api/fleet/fleet_server_hosts", host)
            #expect(hostMade.status == .ok, "\(hostMade.text)")
            let full = try await client.call(.get, "/api/fleet/agent_policies/\(StoreSetup.defaultPolicyId)/full")
            #expect(full.json[["item", "fleet", "proxy_url"]] == "https://proxy.example.com:3129")
            #expect(full.json[["item", "fleet", "proxy_headers", "Proxy-Authorization"]] == "Basic eDp5")
            let refused = try await client.call(.delete, "/api/fleet/proxies/squid")
            #expect(refused.status == .conflict)
            #expect(refused.json["message"]?.stringValue?.contains("behind") == true)
            let hostId = try #require(hostMade.json[["item", "id"]]?.stringValue)
            #expect(try await client.call(.put, "/api/fleet/fleet_server_hosts/\(hostId)", ["proxy_id": .null]).status == .ok)
            // Removed again through the policy: the agents' fleet section carries no proxy any more.
            let without = try await client.call(.get, "/api/fleet/agent_policies/\(StoreSetup.defaultPolicyId)/full")
            #expect(without.json[["item", "fleet", "proxy_url"]] == nil)
            #expect(try await client.call(.delete, "/api/fleet/proxies/squid").status == .ok)
            #expect(try await client.call(.get, "/api/fleet/proxies/squid").status == .notFound)
        }
    }

    @Test func testPolicyIsUpdatedAndDeletedOnlyWithoutAgentsAndAHostItUsesStays() async throws {
        let harness = try await ConsoleHarness()
        try await harness.run { client in
            let host = try await client.call(.post, "/api/fleet/fleet_server_hosts", ["id": "edge", "name": "Edge", "host_urls": ["https://edge.example.com:8220"]])
            #expect(host.status == .ok)
            let made = try await client.call(.post, "/api/fleet/agent_policies", ["id": "web", "name": "Web", "fleet_server_host_id": "edge"])
            #expect(made.status == .ok, "\(made.text)")
            #expect(made.json[["item", "revision"]]?.intValue ?? 0 >= 1)
            let full = try await client.call(.get, "/api/fleet/agent_policies/web/full")
            #expect(full.json[["item", "fleet", "hosts"]] == ["https://edge.example.com:8220"])
            let hostDelete = try await client.call(.delete, "/api/fleet/fleet_server_hosts/edge")
            #expect(hostDelete.status == .conflict)
            let renamed = try await client.call(.put, "/api/fleet/agent_policies/web", ["description": "nginx"])
            #expect(renamed.json[["item", "description"]] == "nginx")
            #expect(renamed.json[["item", "name"]] == "Web")
            #expect(try await client.call(.post, "/api/fleet/agent_policies", ["name": "Web"]).status == .conflict)
            try await harness.store.createAgent(AgentRecord(id: "a1", policyId: "web", type: "PERMANENT", apiKeyId: "k1", apiKeyHash: "h"))
            #expect(try await client.call(.post, "/api/fleet/agent_policies/delete", ["agentPolicyId": "web"]).status == .conflict)
            try await harness.store.markUnenrolled(agentId: "a1", at: Date())
            #expect(try await client.call(.post, "/api/fleet/agent_policies/delete", ["agentPolicyId": "web"]).status == .ok)
            #expect(try await client.call(.get, "/api/fleet/agent_policies/web").status == .notFound)
            #expect(try await client.call(.delete, "/api/fleet/fleet_server_hosts/edge").status == .ok)
        }
    }

    @Test func testSessionsExpireAndEndWithANewPassword() async throws {
        let harness = try await ConsoleHarness()
        try await harness.console.accounts.addUser("bob", password: "a long enough password", role: .viewer)
        try await harness.run { client in
            let login = try await client.form("/login", ["user": "bob", "password": "a long enough password"], cookie: nil)
            let cookie = String(try #require(login.headers[.setCookie]).split(separator: ";")[0])
            #expect(try await client.call(.get, "/api/fleet/outputs", headers: [.cookie: cookie]).status == .ok)
            try await harness.console.accounts.setPassword("bob", password: "another long password")
            #expect(try await client.call(.get, "/api/fleet/outputs", headers: [.cookie: cookie]).status == .unauthorized)
        }
        // A session whose life is over is refused (and forgotten).
        let expired = ConsoleAccounts(store: harness.store, sessionLifetime: -1)
        let identity = try #require(try await expired.login("bob", password: "another long password"))
        let token = try await expired.startSession(for: identity)
        #expect(try await expired.identity(sessionToken: token) == nil)
        #expect(try await harness.store.consoleObject(kind: "session", id: Secrets.hash(token)) == nil)
    }
}
