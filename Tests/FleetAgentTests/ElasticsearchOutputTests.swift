import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The Elasticsearch output against the stand-in `_bulk` endpoint over real TLS: one-way and mutual, every refused
/// handshake as one sentence, credentials, gzip, item-level retries, dead letters and failover.
@Suite(.timeLimit(.minutes(2))) struct ElasticsearchOutputTests {
    let certs = CertificateFixtures.shared

    func settings(_ hosts: [String], ssl: JSONValue = [:], extra: [String: JSONValue] = [:]) throws -> OutputSettings {
        var section: [String: JSONValue] = ["type": "elasticsearch", "hosts": .array(hosts.map { .string($0) }), "ssl": ssl]
        for (key, value) in extra { section[key] = value }
        return try OutputSettings(id: "default", policy: .object(section))
    }

    func events(_ count: Int, from start: Int = 0) -> [QueuedEvent] {
        (start..<(start + count)).map { QueuedEvent(index: "logs-app-default", document: Array(#"{"message":"event \#($0)"}"#.utf8)) }
    }

    /// A queue and the worker that delivers it to an Elasticsearch output, in `directory`.
    func worker(_ settings: OutputSettings, in directory: TemporaryDirectory) throws -> (DiskQueue, OutputWorker) {
        let queue = try DiskQueue(directory: directory.file("queue"), maximumBytes: 1 << 20, logger: Logger(label: "q"))
        let worker = OutputWorker(
            output: try ElasticsearchOutput(settings: settings), settings: settings, queue: queue,
            registry: try FileRegistry(path: directory.file("registry.json")), deadLetters: DeadLetterFile(path: directory.file("dead.ndjson")),
            logger: Logger(label: "w")
        )
        return (queue, worker)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func oneWayTLSDeliversGzippedBulkRequestsWithTheAPIKey() async throws {
        var behaviour = ElasticsearchStandIn.Behaviour()
        behaviour.requiredAuthorization = "ApiKey " + Data("key-id:key-secret".utf8).base64EncodedString()
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings, behaviour: behaviour)
        defer { Task { try await standIn.stop() } }
        let output = try ElasticsearchOutput(settings: settings(
            ["https://localhost:\(standIn.port)"], ssl: ["certificate_authorities": [.string(certs.fleetCA)]], extra: ["api_key": "key-id:key-secret"]
        ))
        try await output.probe()
        #expect(try await output.publish(events(3)) == .delivered)
        #expect(try await output.publish(events(2, from: 3)) == .delivered)
        #expect(standIn.documents["logs-app-default"]?.count == 5)
        #expect(standIn.gzipRequests == 2)
        // Both bulk requests went over one kept-alive connection after the probe.
        #expect(standIn.connections == 1)
    }

    @Test func wrongCredentialsAreNamed() async throws {
        var behaviour = ElasticsearchStandIn.Behaviour()
        behaviour.requiredAuthorization = "ApiKey right"
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings, behaviour: behaviour)
        defer { Task { try await standIn.stop() } }
        let output = try ElasticsearchOutput(settings: settings(["https://localhost:\(standIn.port)"], ssl: ["certificate_authorities": [.string(certs.fleetCA)]], extra: ["api_key": "wrong:key"]))
        let message = await failure { try await output.probe() }
        #expect(message.contains("refused this agent's credentials") && message.contains("outputs.default.api_key"), "\(message)")
    }

    @Test func mutualTLSPresentsTheAgentsCertificateWithItsEncryptedKey() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await standIn.stop() } }
        let output = try ElasticsearchOutput(settings: settings(["https://localhost:\(standIn.port)"], ssl: [
            "certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.agentCert), "key": .string(certs.agentKey),
            "key_passphrase_path": .string(certs.agentPassphrase),
        ]))
        #expect(try await output.publish(events(1)) == .delivered)
        #expect(standIn.clientSubjects.contains { $0.contains("agent") })
    }

    /// An output behind an HTTPS proxy (squid) that wants a client certificate: the proxy's TLS comes from
    /// `proxy_ssl`, the output's own from `ssl`, and neither stands in for the other.
    @Test func anOutputShipsThroughAnHTTPSProxyWithItsOwnTLS() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/squid"), "squid is not installed (scripts/test.sh installs squid-openssl)")
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await standIn.stop() } }
        let squid = try await SquidProxy.start(certificate: certs.fleetCert, key: certs.fleetKey, clientCA: certs.agentCA)
        defer { squid.stop() }
        let clientTLS: [String: JSONValue] = [
            "certificate": .string(certs.agentCert), "key": .string(certs.agentKey), "key_passphrase_path": .string(certs.agentPassphrase),
        ]
        var outputTLS = clientTLS
        outputTLS["certificate_authorities"] = [.string(certs.fleetCA)]
        let proxied = try settings(["https://localhost:\(standIn.port)"], ssl: .object(outputTLS), extra: [
            "proxy_url": .string(squid.url), "proxy_ssl": .object(outputTLS),
        ])
        let output = try ElasticsearchOutput(settings: proxied)
        try await output.probe()
        #expect(try await output.publish(events(2)) == .delivered)
        #expect(standIn.documents["logs-app-default"]?.count == 2)
        #expect(standIn.clientSubjects.contains { $0.contains("agent") })
        output.close()

        // Without the proxy's client certificate, the sentence names the proxy and the fields to set.
        let anonymous = try settings(["https://localhost:\(standIn.port)"], ssl: .object(outputTLS), extra: [
            "proxy_url": .string(squid.url), "proxy_ssl": ["certificate_authorities": [.string(certs.fleetCA)]],
        ])
        let message = await failure { try await ElasticsearchOutput(settings: anonymous).probe() }
        #expect(message.contains("The proxy at localhost:\(squid.port) requires a client certificate"), "\(message)")
        #expect(message.contains("outputs.default.proxy_ssl.certificate"), "\(message)")
    }

    @Test func everyRefusedHandshakeIsOneSentence() async throws {
        let mutual = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .required))
        let wrongName = try await ElasticsearchStandIn.start(TLSSettings(certificate: certs.path("other-host.crt"), key: certs.path("other-host.key")))
        defer { Task { try await mutual.stop(); try await wrongName.stop() } }
        let url = "https://localhost:\(mutual.port)"

        let unknownCA = await failure {
            try await ElasticsearchOutput(settings: settings([url], ssl: ["certificate_authorities": [.string(certs.path("rogue-ca.crt"))]])).probe()
        }
        #expect(unknownCA.contains("Elasticsearch output default") && unknownCA.contains("certificate_authorities"), "\(unknownCA)")
        #expect(!unknownCA.contains("BoringSSL") && !unknownCA.contains("error:"), "\(unknownCA)")

        let hostName = await failure {
            try await ElasticsearchOutput(settings: settings(["https://localhost:\(wrongName.port)"], ssl: ["certificate_authorities": [.string(certs.fleetCA)]])).probe()
        }
        #expect(hostName.contains("localhost") && hostName.contains("elsewhere.example"), "\(hostName)")

        let noCertificate = await failure {
            try await ElasticsearchOutput(settings: settings([url], ssl: ["certificate_authorities": [.string(certs.fleetCA)]])).probe()
        }
        #expect(noCertificate.contains("requires a client certificate") && noCertificate.contains("outputs.default.ssl.certificate"), "\(noCertificate)")

        let untrusted = await failure {
            try await ElasticsearchOutput(settings: settings([url], ssl: [
                "certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.path("rogue-agent.crt")), "key": .string(certs.path("rogue-agent.key")),
            ])).probe()
        }
        #expect(untrusted.contains("does not trust") || untrusted.contains("refused"), "\(untrusted)")

        let wrongPassphrase = certs.directory.write("wrong.passphrase", "not the passphrase")
        let passphrase = await failure {
            _ = try ElasticsearchOutput(settings: settings([url], ssl: [
                "certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.agentCert), "key": .string(certs.agentKey),
                "key_passphrase_path": .string(wrongPassphrase),
            ]))
        }
        #expect(passphrase.contains("passphrase") && passphrase.contains(wrongPassphrase) && !passphrase.contains("not the passphrase"), "\(passphrase)")
    }

    @Test func throttledItemsAreSentAgainAndRefusedOnesGoToTheDeadLetterFile() async throws {
        var behaviour = ElasticsearchStandIn.Behaviour()
        behaviour.throttleOnceContaining = "event 1\""
        behaviour.refuseContaining = "event 2\""
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings, behaviour: behaviour)
        defer { Task { try await standIn.stop() } }
        let directory = TemporaryDirectory("worker")
        defer { directory.remove() }
        let outputSettings = try settings(["https://localhost:\(standIn.port)"], ssl: ["certificate_authorities": [.string(certs.fleetCA)]], extra: ["backoff": ["init": 0.05, "max": 0.2], "flush_interval": 0.01])
        let (queue, worker) = try worker(outputSettings, in: directory)
        let task = Task { await worker.run() }
        defer { task.cancel() }
        #expect(try await queue.tryAppend(events(4)))
        #expect(await eventually { await queue.figures.events == 0 })
        #expect(Set(standIn.messages) == ["event 0", "event 1", "event 3"])
        let dead = try String(contentsOfFile: directory.file("dead.ndjson"), encoding: .utf8)
        #expect(dead.contains("event 2") && dead.contains("document_parsing_exception") && dead.contains("\"status\":400"))
        #expect(worker.refused.value == 1 && worker.delivered.value == 3)
    }

    @Test func aWholeRequestFailureKeepsTheEventsAndAnotherHostTakesThem() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let down = try await ElasticsearchStandIn.start(certs.serverSettings)
        let downPort = down.port
        try await down.stop()
        defer { Task { try await standIn.stop() } }
        let directory = TemporaryDirectory("worker")
        defer { directory.remove() }
        standIn.change { $0.failRequests = 2 }
        let outputSettings = try settings(
            ["https://localhost:\(downPort)", "https://localhost:\(standIn.port)"], ssl: ["certificate_authorities": [.string(certs.fleetCA)]],
            extra: ["backoff": ["init": 0.05, "max": 0.2], "flush_interval": 0.01]
        )
        let (queue, worker) = try worker(outputSettings, in: directory)
        let task = Task { await worker.run() }
        defer { task.cancel() }
        #expect(try await queue.tryAppend(events(10)))
        #expect(await eventually { await queue.figures.events == 0 })
        #expect(standIn.messages.count == 10)
        #expect(worker.failedRequests.value >= 2, "the refused host and the 503s each count as a failed request")
        #expect(worker.health.current.status == .healthy)
    }
}
