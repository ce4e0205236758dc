import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The data path driven by Fleet: a policy from a real Fleet Server (mutual TLS) names a logfile input and an
/// Elasticsearch output over mutual TLS; the agent ships, and reports its units in the check-in, which the Fleet
/// Server stores for the console.
@Suite(.timeLimit(.minutes(2))) struct AgentDataPathTests {
    let certs = CertificateFixtures.shared

    /// An agent enrolled over mutual TLS, with its data path.
    func enrolledAgent(_ fleet: TestFleetServer, directory: TemporaryDirectory, pollTimeout: Double) async throws -> (AgentRunner, DataPipeline) {
        let vault = AgentVault(directory: directory.file("state"))
        let state = try await Enrollment.enroll(
            url: "https://localhost:\(fleet.port)", token: fleet.enrollmentToken, tls: certs.clientSettings(mutual: true),
            options: FleetConnectionOptions(localFleetServerPort: fleet.port)
        )
        try vault.save(state)
        let pipeline = try DataPipeline(directory: directory.file("data"), agentID: state.agentId, logger: Logger(label: "data"))
        return (AgentRunner(vault: vault, logger: Logger(label: "agent"), pollTimeout: pollTimeout, pipeline: pipeline), pipeline)
    }

    @Test func aPolicysOutputReceivesTheLinesAndTheServerStoresTheUnits() async throws {
        let fleet = try await TestFleetServer.start(clientAuth: .required) { $0.pollTimeoutSeconds = 1; $0.minimumPollTimeoutSeconds = 1; $0.pollJitterSeconds = 0 }
        defer { Task { await fleet.stop() } }
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await standIn.stop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("app.log")
        try (0..<20).map { "line \($0)" }.joined(separator: "\n").appending("\n").write(toFile: log, atomically: true, encoding: .utf8)

        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        let ssl = #"{"certificate_authorities":["\#(certs.fleetCA)"],"certificate":"\#(certs.agentCert)","key":"\#(certs.agentKey)","key_passphrase_path":"\#(certs.agentPassphrase)"}"#
        policy.body = #"""
            {"outputs":{"default":{"type":"elasticsearch","hosts":["https://localhost:\#(standIn.port)"],"ssl":\#(ssl),"flush_interval":0.02}},
             "inputs":[{"id":"app","type":"logfile","use_output":"default","streams":[{"paths":["\#(log)"]}]}],
             "fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}
            """#
        try await fleet.store.savePolicy(policy)

        let (runner, pipeline) = try await enrolledAgent(fleet, directory: directory, pollTimeout: 5)
        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(await eventually { standIn.messages.count == 20 })
        #expect(standIn.clientSubjects.contains { $0.contains("agent") }, "the agent presented its certificate to the output")

        // The next check-in carries the units; the Fleet Server stores them with the agent.
        _ = try await runner.checkinOnce()
        let stored = try #require(try await fleet.store.waitForAgent { $0.components?.contains("filestream-default") == true })
        let components = try JSONValue(data: Data(try #require(stored.components).utf8))
        let units = components.arrayValue?.first?["units"]?.arrayValue ?? []
        #expect(units.contains { $0["type"] == "input" && $0["status"] == "HEALTHY" })
        #expect(units.contains { $0["type"] == "output" && $0["status"] == "HEALTHY" })

        // The output goes away: the agent reports itself degraded, naming the output.
        try await standIn.stop()
        try "line 20\n".appendLine(to: log)
        #expect(await eventually { await pipeline.worstUnit()?.component == "output default" })
        _ = try await runner.checkinOnce()
        let degraded = try #require(try await fleet.store.waitForAgent { $0.lastStatus == "degraded" })
        #expect(degraded.lastMessage?.hasPrefix("output default: ") == true, "\(degraded.lastMessage ?? "")")
        #expect(degraded.lastMessage?.contains("Nothing accepts connections") == true, "\(degraded.lastMessage ?? "")")
        await pipeline.stop()
    }
}

extension String {
    func appendLine(to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(utf8))
        try handle.close()
    }
}

extension AgentDataPathTests {
    @Test func anOutputThatFailsCutsTheLongPollShortSoFleetHearsAtOnce() async throws {
        // Long polls: without the cut the failure would reach Fleet only a minute later.
        let fleet = try await TestFleetServer.start(clientAuth: .required) { $0.pollTimeoutSeconds = 60; $0.minimumPollTimeoutSeconds = 60; $0.pollJitterSeconds = 0 }
        defer { Task { await fleet.stop() } }
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings)
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("app.log")
        try "first\n".write(toFile: log, atomically: true, encoding: .utf8)
        var policy = try #require(try await fleet.store.policy(id: StoreSetup.defaultPolicyId))
        policy.body = #"""
            {"outputs":{"default":{"type":"elasticsearch","hosts":["https://localhost:\#(standIn.port)"],"ssl":{"certificate_authorities":["\#(certs.fleetCA)"]},"flush_interval":0.02,"backoff":{"init":0.2,"max":1}}},
             "inputs":[{"id":"app","type":"logfile","use_output":"default","streams":[{"paths":["\#(log)"]}]}],
             "fleet":{"hosts":["https://localhost:\#(fleet.port)"]}}
            """#
        try await fleet.store.savePolicy(policy)
        let (runner, pipeline) = try await enrolledAgent(fleet, directory: directory, pollTimeout: 120)
        #expect(try await runner.checkinOnce() == .keepRunning)
        #expect(await eventually { standIn.messages == ["first"] })

        let started = ContinuousClock.now
        async let waiting = runner.checkinOnce()
        #expect(await fleet.waitForWaitingCheckins(1))
        try await standIn.stop()
        try "second\n".appendLine(to: log)
        #expect(try await waiting == .keepRunning)
        #expect(ContinuousClock.now - started < .seconds(30), "the poll was not cut short")
        async let reporting = runner.checkinOnce()
        let degraded = try #require(try await fleet.store.waitForAgent { $0.lastStatus == "degraded" })
        #expect(degraded.lastMessage?.hasPrefix("output default: ") == true, "\(degraded.lastMessage ?? "")")
        _ = await pipeline.components()
        await pipeline.stop()
        _ = try? await reporting
    }
}
