import FleetAgent
import Foundation
import Logging
import TestSupport
import Testing

/// The disk queue on real files: what it keeps across reopening, what it does with torn and damaged records, and
/// how it holds writers back when full.
@Suite(.timeLimit(.minutes(1))) struct DiskQueueTests {
    func events(_ range: Range<Int>, source: String = "") -> [QueuedEvent] {
        range.map { QueuedEvent(index: "logs-test-default", source: source, offset: UInt64($0 + 1), document: Array(#"{"message":"line \#($0)"}"#.utf8)) }
    }

    func messages(_ batch: QueueBatch?) -> [String] {
        (batch?.events ?? []).map { String(decoding: $0.document, as: UTF8.self) }
    }

    @Test func unacknowledgedEventsSurviveReopeningInOrder() async throws {
        let directory = TemporaryDirectory("queue")
        defer { directory.remove() }
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, logger: Logger(label: "q"))
            #expect(try await queue.tryAppend(events(0..<100, source: "file-a")))
            let first = try #require(await queue.read(maximum: 40))
            try await queue.acknowledge(first)
            // Read but not acknowledged: must come back after a restart.
            _ = await queue.read(maximum: 10)
        }
        let reopened = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, logger: Logger(label: "q"))
        #expect(await reopened.figures.events == 60)
        #expect(reopened.resumeOffsets["file-a"] == 100)
        let rest = await reopened.read(maximum: 1000)
        #expect(messages(rest) == (40..<100).map { #"{"message":"line \#($0)"}"# })
    }

    @Test func aTornRecordAtTheEndIsCutOffAndWritingGoesOn() async throws {
        let directory = TemporaryDirectory("queue")
        defer { directory.remove() }
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, logger: Logger(label: "q"))
            #expect(try await queue.tryAppend(events(0..<5)))
        }
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".seg") })
        // A kill during a write leaves half a record: a header that promises more than follows.
        let handle = try #require(FileHandle(forWritingAtPath: directory.file(segment)))
        handle.seekToEndOfFile()
        handle.write(Data([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        try handle.close()
        let reopened = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, logger: Logger(label: "q"))
        #expect(!reopened.damaged)
        #expect(try await reopened.tryAppend(events(5..<7)))
        #expect(messages(await reopened.read(maximum: 100)).count == 7)
    }

    @Test func aDamagedSegmentIsSkippedWithAWarningNamingIt() async throws {
        let directory = TemporaryDirectory("queue")
        defer { directory.remove() }
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, segmentBytes: 400, logger: Logger(label: "q"))
            for start in stride(from: 0, to: 40, by: 5) { #expect(try await queue.tryAppend(events(start..<(start + 5)))) }
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.count > 2)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: directory.file(segments[0])))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: directory.file(segments[0])))

        let logs = LogCapture()
        let reopened = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, segmentBytes: 400, logger: logs.logger("q"))
        #expect(reopened.damaged)
        #expect(reopened.resumeOffsets.isEmpty, "after damage the inputs must not trust the queue's positions")
        #expect(logs.messages.contains { $0.contains(segments[0]) && $0.contains("damaged") })
        let read = messages(await reopened.read(maximum: 1000))
        #expect(read.contains(#"{"message":"line 39"}"#))
        #expect(read.count < 40)
    }

    @Test func aFullQueueRefusesThenTakesEventsOnceSomeAreAcknowledged() async throws {
        let directory = TemporaryDirectory("queue")
        defer { directory.remove() }
        let queue = try DiskQueue(directory: directory.path, maximumBytes: 2000, logger: Logger(label: "q"))
        var appended = 0
        while try await queue.tryAppend(events(appended..<(appended + 10))) { appended += 10 }
        #expect(appended > 0)
        #expect(await queue.figures.bytes <= 2000)
        let waiting = Task { try await queue.append(events(1000..<1010)) }
        #expect(await eventually { await queue.waitingWriters == 1 }, "the writer waits for room")
        let batch = try #require(await queue.read(maximum: 20))
        try await queue.acknowledge(batch)
        try await waiting.value
        let all = messages(await queue.read(maximum: 10_000))
        #expect(all.last == #"{"message":"line 1009"}"#)
    }
}

extension DiskQueueTests {
    @Test func aRecordLargerThanAReadChunkIsReadWhole() async throws {
        let directory = TemporaryDirectory("queue")
        defer { directory.remove() }
        let queue = try DiskQueue(directory: directory.path, maximumBytes: 64 << 20, logger: Logger(label: "q"))
        let big = QueuedEvent(index: "logs-test-default", source: "f", offset: 9, document: Array(("{\"message\":\"" + String(repeating: "y", count: 3 << 20) + "\"}").utf8))
        #expect(try await queue.tryAppend([big] + events(0..<3)))
        let batch = try #require(await queue.read(maximum: 10))
        #expect(batch.events.count == 4)
        #expect(batch.events[0] == big)
        #expect(await queue.read(maximum: 10) == nil)
    }
}
