import FleetProtocol
import FleetStore
import FleetServer
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The agent as a real process shipping a growing log file to the stand-in Elasticsearch over TLS, killed with -9
/// and started again: every line arrives at least once, counted by its id.
@Suite(.timeLimit(.minutes(3))) struct DataPathProcessTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer
    let certs = CertificateFixtures.shared

    func write(_ path: String, _ range: Range<Int>) {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(range.map { "id=\($0) " + String(repeating: "x", count: 180) + "\n" }.joined().utf8))
        try? handle.close()
    }

    func ids(_ standIn: ElasticsearchStandIn) -> [Int] {
        standIn.messages.compactMap { message in message.split(separator: " ").first.flatMap { Int($0.dropFirst(3)) } }
    }

    @Test func linesWrittenAcrossAKillNineAllArrive() async throws {
        let server = try await RunningServer(clientAuth: "required")
        defer { Task { await server.stop() } }
        let standIn = try await ElasticsearchStandIn.start(certs.serverSettings(clientAuth: .required))
        defer { Task { try await standIn.stop() } }
        let log = server.directory.file("app.log")
        write(log, 0..<2000)

        // The policy the agent will receive: its log file to the stand-in over mutual TLS with the seed's agent
        // certificate, the key encrypted.
        let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
        var policy = try #require(try await store.policy(id: StoreSetup.defaultPolicyId))
        let ssl: JSONValue = [
            "certificate_authorities": [.string(certs.fleetCA)], "certificate": .string(certs.agentCert), "key": .string(certs.agentKey),
            "key_passphrase_path": .string(certs.agentPassphrase),
        ]
        let body: JSONValue = [
            "outputs": ["default": ["type": "elasticsearch", "hosts": [.string("https://localhost:\(standIn.port)")], "ssl": ssl, "bulk_max_size": 100]],
            "inputs": [["id": "app", "type": "logfile", "use_output": "default", "streams": [["paths": [.string(log)]]]]],
        ]
        policy.body = String(decoding: try body.jsonData(), as: UTF8.self)
        try await store.savePolicy(policy)
        try await store.close()

        let base = server.directory.file("agent")
        let installed = try await flotilla(["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"])
        #expect(installed.status == 0, "\(installed.output)")
        let agent = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        #expect(await eventually(within: 60) { ids(standIn).count >= 300 })
        // Killed in the middle of shipping: what was read but not acknowledged must come again.
        _ = await agent.terminate(signal: SIGKILL)
        let before = Set(ids(standIn)).count
        write(log, 2000..<3000)

        let restarted = try BackgroundProcess(ProcessRunner.flotillaBinary, ["run", "--base-path", base])
        defer { _ = Task { await restarted.terminate(signal: SIGKILL) } }
        write(log, 3000..<3500)
        #expect(await eventually(within: 90) { Set(ids(standIn)).count == 3500 })
        let received = ids(standIn)
        #expect(Set(received) == Set(0..<3500), "missing: \(Set(0..<3500).subtracting(received).sorted().prefix(10))")
        print("Killed after \(before) of 2000 lines; in the end 3500 delivered, \(received.count - Set(received).count) duplicates")
        #expect(!restarted.printed.contains("Fatal error"))
    }
}
