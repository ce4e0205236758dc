import FleetAgent
import FleetProtocol
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The logfile input on real files: the events' shape, globs and exclusions, rotation by rename and by copy and
/// truncate, cut long lines, and positions that resume after a restart.
@Suite(.timeLimit(.minutes(1))) struct LogfileInputTests {
    struct Harness {
        let directory: TemporaryDirectory
        let queue: DiskQueue
        let registry: FileRegistry

        init(maximumBytes: Int = 64 << 20) throws {
            directory = TemporaryDirectory("logfile")
            queue = try DiskQueue(directory: directory.file("queue"), maximumBytes: maximumBytes, logger: Logger(label: "q"))
            registry = try FileRegistry(path: directory.file("registry.json"))
        }

        var context: InputContext {
            InputContext(agentID: "agent-1", agentVersion: "0.1.0", hostName: "host-1", queue: queue, registry: registry, logger: Logger(label: "input"))
        }

        func start(_ input: JSONValue) throws -> Task<Void, Never> {
            let settings = try LogfileSettings.streams(of: input, field: "inputs[0]", policyTags: ["policy-tag"])[0]
            let reader = LogfileInput(settings: settings, context: context, queued: queue.resumeOffsets)
            return Task { await reader.run() }
        }

        func append(_ name: String, _ lines: [String]) {
            let path = directory.file(name)
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = FileHandle(forWritingAtPath: path)!
            handle.seekToEndOfFile()
            handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
            try? handle.close()
        }

        /// Reads the queue, acknowledging as an output would, until `count` events arrived.
        func collect(_ count: Int, into collected: inout [JSONValue], within seconds: Double = 15) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while collected.count < count && Date() < deadline {
                if let batch = await queue.read(maximum: 1000) {
                    collected += try batch.events.map { try JSONValue(data: Data($0.document)) }
                    for event in batch.events where !event.source.isEmpty { registry.advance(event.source, to: event.offset) }
                    try await queue.acknowledge(batch)
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            return collected.count >= count
        }
    }

    func input(_ paths: [String], extra: [String: JSONValue] = [:]) -> JSONValue {
        var stream: [String: JSONValue] = ["id": "app", "paths": .array(paths.map { .string($0) }), "data_stream": ["dataset": "app"]]
        for (key, value) in extra { stream[key] = value }
        return ["id": "logs-app", "type": "logfile", "data_stream": ["namespace": "prod"], "streams": [.object(stream)], "tags": ["edge"]]
    }

    @Test func eachLineIsAnEventInECSShape() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        harness.append("app.log", ["first line", "second \"quoted\" line\twith tab", "ünïcode"])
        let task = try harness.start(input([harness.directory.file("*.log")]))
        defer { task.cancel() }
        var events: [JSONValue] = []
        #expect(try await harness.collect(3, into: &events))
        let first = try #require(events.first)
        #expect(first["message"] == "first line")
        #expect(first["log"]?["file"]?["path"]?.stringValue == harness.directory.file("app.log"))
        #expect(first["log"]?["offset"] == 0)
        #expect(events[1]["log"]?["offset"] == 11)
        #expect(events[1]["message"]?.stringValue == "second \"quoted\" line\twith tab")
        #expect(events[2]["message"]?.stringValue == "ünïcode")
        #expect(first["host"]?["name"] == "host-1")
        #expect(first["agent"]?["id"] == "agent-1")
        #expect(first["agent"]?["version"] == "0.1.0")
        #expect(first["data_stream"] == ["type": "logs", "dataset": "app", "namespace": "prod"])
        #expect(first["tags"] == ["policy-tag", "edge"])
        #expect(first["@timestamp"]?.stringValue.flatMap(RFC3339.date(from:)) != nil)
    }

    @Test func newFilesAreFoundAndExcludedOnesAreNot() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        let task = try harness.start(input([harness.directory.file("*.log")], extra: ["exclude_files": ["debug"], "prospector": ["scanner": ["check_interval": "100ms"]]]))
        defer { task.cancel() }
        harness.append("a.log", ["from a"])
        harness.append("debug.log", ["from debug"])
        harness.append("b.txt", ["from txt"])
        var events: [JSONValue] = []
        #expect(try await harness.collect(1, into: &events))
        harness.append("c.log", ["from c, made while running"])
        #expect(try await harness.collect(2, into: &events))
        // Several scans later, the excluded and unmatched files are still unread.
        _ = try await harness.collect(3, into: &events, within: 0.5)
        #expect(Set(events.compactMap { $0["message"]?.stringValue }) == ["from a", "from c, made while running"])
    }

    @Test func aRenamedFileKeepsItsPositionAndTheNewOneIsReadFromTheStart() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        let task = try harness.start(input([harness.directory.file("app.log")], extra: ["prospector": ["scanner": ["check_interval": "100ms"]]]))
        defer { task.cancel() }
        harness.append("app.log", ["one", "two"])
        var events: [JSONValue] = []
        #expect(try await harness.collect(2, into: &events))
        // Rotation: what is still written to the old file is read to its end, and the new file from its start.
        try FileManager.default.moveItem(atPath: harness.directory.file("app.log"), toPath: harness.directory.file("app.log.1"))
        harness.append("app.log.1", ["three, after the rename"])
        harness.append("app.log", ["four, in the new file"])
        #expect(try await harness.collect(4, into: &events))
        #expect(events.compactMap { $0["message"]?.stringValue } == ["one", "two", "three, after the rename", "four, in the new file"]
            || Set(events.compactMap { $0["message"]?.stringValue }) == ["one", "two", "three, after the rename", "four, in the new file"])
        #expect(events.count == 4)
    }

    @Test func aCopyTruncatedFileIsReadAgainFromTheStart() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        let task = try harness.start(input([harness.directory.file("app.log")], extra: ["prospector": ["scanner": ["check_interval": "100ms"]]]))
        defer { task.cancel() }
        harness.append("app.log", ["a fairly long first line before rotation", "and another one"])
        var events: [JSONValue] = []
        #expect(try await harness.collect(2, into: &events))
        try Data().write(to: URL(fileURLWithPath: harness.directory.file("app.log")))
        harness.append("app.log", ["after truncate"])
        #expect(try await harness.collect(3, into: &events))
        #expect(events.last?["message"] == "after truncate")
        #expect(events.last?["log"]?["offset"] == 0)
    }

    @Test func aLineLongerThanTheLimitIsCutAndMarked() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        harness.append("app.log", [String(repeating: "x", count: 5000), "short"])
        let task = try harness.start(input([harness.directory.file("app.log")], extra: ["message_max_bytes": 1000]))
        defer { task.cancel() }
        var events: [JSONValue] = []
        #expect(try await harness.collect(2, into: &events))
        #expect(events[0]["message"]?.stringValue?.count == 1000)
        #expect(events[0]["log"]?["flags"] == ["truncated"])
        #expect(events[1]["message"] == "short")
        #expect(events[1]["log"]?["flags"] == nil)
    }

    @Test func aRestartResumesAfterWhatWasDeliveredAndNothingIsReadTwice() async throws {
        let harness = try Harness()
        defer { harness.directory.remove() }
        harness.append("app.log", (0..<50).map { "line \($0)" })
        var events: [JSONValue] = []
        let first = try harness.start(input([harness.directory.file("app.log")]))
        #expect(try await harness.collect(50, into: &events))
        first.cancel()
        await first.value
        try harness.registry.save()
        harness.append("app.log", (50..<60).map { "line \($0)" })
        // A new registry object reads the file the first one saved, as after an agent restart.
        let restarted = try Harness.reopen(harness)
        let second = try restarted.start(input([harness.directory.file("app.log")]))
        defer { second.cancel() }
        var later: [JSONValue] = []
        #expect(try await restarted.collect(10, into: &later))
        #expect(later.compactMap { $0["message"]?.stringValue } == (50..<60).map { "line \($0)" })
    }

    @Test func invalidSettingsAreRefusedWithTheirField() throws {
        #expect(throws: FlotillaError.self) { try LogfileSettings.streams(of: ["id": "x", "type": "logfile"], field: "inputs[3]", policyTags: []) }
        do {
            _ = try LogfileSettings.streams(of: ["id": "x", "paths": ["/tmp/*.log"], "exclude_files": ["(unclosed"]], field: "inputs[3]", policyTags: [])
            Issue.record("an invalid exclude_files pattern was accepted")
        } catch {
            #expect(error.description.contains("inputs[3]") && error.description.contains("(unclosed"))
        }
    }
}

extension LogfileInputTests.Harness {
    /// The same directory opened again, as a restarted agent would.
    static func reopen(_ other: LogfileInputTests.Harness) throws -> LogfileInputTests.Harness {
        try LogfileInputTests.Harness(directory: other.directory)
    }

    init(directory: TemporaryDirectory) throws {
        self.directory = directory
        queue = try DiskQueue(directory: directory.file("queue"), maximumBytes: 64 << 20, logger: Logger(label: "q"))
        registry = try FileRegistry(path: directory.file("registry.json"))
    }
}
