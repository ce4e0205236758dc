import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The whole data path in the test process (policy → logfile input → disk queue → Elasticsearch output over TLS →
/// the stand-in), counted by a unique id in every line: nothing may be missing, duplicates are counted.
@Suite(.timeLimit(.minutes(2))) struct DataPipelineTests {
    let certs = CertificateFixtures.shared

    func policy(log: String, port: Int, ssl: JSONValue? = nil, queueBytes: Int? = nil, monitoring: Bool = false) -> JSONValue {
        var output: [String: JSONValue] = [
            "type": "elasticsearch", "hosts": [.string("https://localhost:\(port)")],
            "ssl": ssl ?? ["certificate_authorities": [.string(certs.fleetCA)]],
            "backoff": ["init": 0.05, "max": 0.3], "flush_interval": 0.02, "bulk_max_size": 200,
        ]
        if let queueBytes { output["queue"] = ["disk": ["max_size": .number(Double(queueBytes))]] }
        return [
            "id": "policy-1", "revision": 2,
            "outputs": ["default": .object(output)],
            "inputs": [[
                "id": "logs-app", "type": "logfile", "use_output": "default",
                "streams": [["id": "app", "paths": [.string(log)], "prospector": ["scanner": ["check_interval": "100ms"]]]],
            ]],
            "agent": ["monitoring": ["enabled": .bool(monitoring), "logs": .bool(monitoring), "metrics": .bool(monitoring), "use_output": "default", "period": 1]],
        ]
    }

    func write(_ path: String, _ range: Range<Int>) {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(range.map { "id=\($0) " + String(repeating: "p", count: 180) + "\n" }.joined().utf8))
        try? handle.close()
    }

    /// Which ids arrived, and how many came more than once.
    func tally(_ standIn: ElasticsearchStandIn) -> (ids: Set<Int>, duplicates: Int) {
        let ids = standIn.messages.compactMap { message in message.split(separator: " ").first.flatMap { Int($0.dropFirst(3)) } }
        return (Set(ids), ids.count - Set(ids).count)
    }

    @Test func nothingIsLostAcrossAnOutputOutageAFileRotationAndARestart() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let port = standIn.port
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let log = directory.file("app.log")
        var pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        await pipeline.apply(policy(log: log, port: port))
        write(log, 0..<500)
        #expect(await eventually { tally(standIn).ids.count == 500 })

        // The output goes away: lines keep being read into the queue.
        try await standIn.stop()
        write(log, 500..<1000)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        write(log + ".1", 1000..<1100)
        write(log, 1100..<1500)
        #expect(await eventually { await pipeline.worstUnit()?.health.status == .failed })
        // The agent stops (as if killed: only what is on disk counts) while the output is still down.
        await pipeline.stop()
        pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        write(log, 1500..<2000)
        await pipeline.apply(policy(log: log + "*", port: port))
        try await standIn.restart()
        write(log, 2000..<2500)
        #expect(await eventually(within: 90) { tally(standIn).ids.count == 2500 })
        let (ids, duplicates) = tally(standIn)
        #expect(ids == Set(0..<2500), "missing: \(Set(0..<2500).subtracting(ids).sorted().prefix(10))")
        print("Delivered 2500 lines across an outage, a rotation and a restart; \(duplicates) duplicates")
        await pipeline.stop()
    }

    @Test func aFullQueueStopsReadingAndResumesWithoutLoss() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let port = standIn.port
        try await standIn.stop()
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let log = directory.file("app.log")
        write(log, 0..<3000)
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        await pipeline.apply(policy(log: log, port: port, queueBytes: 100_000))
        // The queue fills to its limit and the input waits there.
        #expect(await eventually { (await pipeline.figures()["outputs"]?["default"]?["queue"]?["bytes"]?.intValue ?? 0) > 50_000 })
        let held = await pipeline.figures()["outputs"]?["default"]?["queue"]?["bytes"]?.intValue ?? 0
        #expect(held <= 100_000 + 64 * 1024, "the queue holds \(held) bytes against a limit of 100000")
        try await standIn.restart()
        #expect(await eventually(within: 90) { tally(standIn).ids.count == 3000 })
        #expect(tally(standIn).ids == Set(0..<3000))
        await pipeline.stop()
    }

    @Test func brokenNewOutputTLSKeepsTheWorkingSettingsAndSaysWhy() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let log = directory.file("app.log")
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        await pipeline.apply(policy(log: log, port: standIn.port))
        write(log, 0..<10)
        #expect(await eventually { tally(standIn).ids.count == 10 })
        await pipeline.apply(policy(log: log, port: standIn.port, ssl: ["certificate_authorities": [.string(certs.path("rogue-ca.crt"))]]))
        let worst = try #require(await pipeline.worstUnit())
        #expect(worst.component == "output default")
        #expect(worst.health.status == .degraded)
        #expect(worst.health.message.contains("were not applied") && worst.health.message.contains("certificate_authorities"), "\(worst.health.message)")
        write(log, 10..<20)
        #expect(await eventually { tally(standIn).ids.count == 20 }, "the previous TLS settings keep delivering")
        let components = await pipeline.components()
        #expect(components.arrayValue?.first?["units"]?.arrayValue?.contains { $0["type"] == "output" && $0["status"] == "DEGRADED" } == true)
        await pipeline.stop()
    }

    @Test func theAgentsOwnMetricsAndLogsGoToTheMonitoringOutput() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let tap = AgentLogTap()
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logTap: tap, logger: Logger(label: "data") { tap.handler(label: $0, upstream: SwiftLogNoOpLogHandler()) })
        await pipeline.apply(policy(log: directory.file("none.log"), port: standIn.port, monitoring: true))
        #expect(await eventually { standIn.documents["metrics-elastic_agent.flotilla-default"]?.isEmpty == false })
        let metrics = try JSONValue(data: Data(try #require(standIn.documents["metrics-elastic_agent.flotilla-default"]?.first).utf8))
        #expect(metrics["flotilla"]?["process"]?["memory"]?["rss"]?["bytes"]?.intValue ?? 0 > 0)
        #expect(metrics["agent"]?["id"] == "agent-1")
        await pipeline.stop()
    }

    @Test func unknownInputsAndOutputsAreReportedAndTheRestRuns() async throws {
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove() }
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        await pipeline.apply([
            "outputs": ["default": ["type": "file", "path": .string(directory.file("out"))], "k": ["type": "kafka", "hosts": ["k:9092"]]],
            "inputs": [
                ["id": "weird", "type": "winlog", "use_output": "default"],
                ["id": "to-nowhere", "type": "logfile", "use_output": "missing", "paths": ["/tmp/x.log"]],
                ["id": "system", "type": "system/metrics", "use_output": "default", "streams": [["metricsets": ["cpu", "memory"], "period": "1s"]]],
            ],
        ])
        let text = "\(await pipeline.components())"
        #expect(text.contains("winlog"))
        #expect(text.contains("does not ship to"))
        #expect(text.contains("which the policy does not define"))
        #expect(await eventually {
            ((try? String(contentsOfFile: directory.file("out/flotilla.ndjson"), encoding: .utf8)) ?? "").contains("\"system\":{\"memory\"")
        })
        await pipeline.stop()
    }
}

extension DataPipelineTests {
    @Test func aChangedInputRestartsWithoutReadingAgainWhatItHadRead() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let log = directory.file("app.log")
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        var body = policy(log: log, port: standIn.port)
        await pipeline.apply(body)
        write(log, 0..<300)
        #expect(await eventually { tally(standIn).ids.count == 300 })
        // New tags for the input: it restarts, and its lines from now on carry them.
        body["agent"] = ["tags": ["changed"]]
        await pipeline.apply(body)
        write(log, 300..<400)
        #expect(await eventually { tally(standIn).ids.count == 400 })
        let (ids, duplicates) = tally(standIn)
        #expect(ids == Set(0..<400))
        #expect(duplicates == 0, "a restarted input read \(duplicates) lines again")
        let last = try JSONValue(data: Data(try #require(standIn.documents["logs-generic-default"]?.last).utf8))
        #expect(last["tags"] == ["changed"])
        await pipeline.stop()
    }
}

extension DataPipelineTests {
    @Test func aPolicyChangeThatMovesTheOutputToMutualTLSLosesNothing() async throws {
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .optional))
        let directory = TemporaryDirectory("pipeline")
        defer { directory.remove(); Task { try await standIn.stop() } }
        let log = directory.file("app.log")
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: "agent-1", logger: Logger(label: "data"))
        await pipeline.apply(policy(log: log, port: standIn.port))
        write(log, 0..<500)
        // The change lands while lines are being shipped.
        #expect(await eventually { !tally(standIn).ids.isEmpty })
        await pipeline.apply(policy(log: log, port: standIn.port, ssl: [
            "certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.agentCert), "key": .string(certs.agentKey),
            "key_passphrase_path": .string(certs.agentPassphrase),
        ]))
        write(log, 500..<1000)
        #expect(await eventually { tally(standIn).ids.count == 1000 })
        #expect(tally(standIn).ids == Set(0..<1000))
        #expect(standIn.clientSubjects.contains { $0.contains("agent") }, "the new settings present the agent's certificate")
        #expect(await pipeline.worstUnit() == nil)
        print("Moved the output to mutual TLS while shipping: 1000 lines, \(tally(standIn).duplicates) duplicates")
        await pipeline.stop()
    }
}
