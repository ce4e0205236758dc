import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The `logfile` input (Filebeat's filestream): follows the files its globs match, new ones included, through
/// renames, copy-truncate rotation and truncation, and appends each line as an event to its output's queue. When
/// the queue is full it stops reading until there is room: nothing is dropped.
public final class LogfileInput: AgentInput {
    public let id: String
    public let type = "logfile"
    public let health = HealthCell()
    public let settings: LogfileSettings
    let context: InputContext
    /// Offsets the queue already holds events up to, per file (empty when the queue was found damaged).
    let queued: [String: UInt64]
    let excludes: [NSRegularExpression]
    let suffix: [UInt8]

    public init(settings: LogfileSettings, context: InputContext, queued: [String: UInt64]) {
        self.id = settings.id
        self.settings = settings
        self.context = context
        self.queued = queued
        self.excludes = settings.excludeFiles.compactMap { try? NSRegularExpression(pattern: $0) }
        self.suffix = EventFields.suffix(
            type: "logs", dataset: settings.dataset, namespace: settings.namespace, inputType: "filestream",
            tags: settings.tags, context: context
        )
    }

    public func run() async {
        var files: [String: LogFileReader] = [:]
        var clock = EventClock()
        var nextScan = ContinuousClock.now
        var idle = 0.05
        defer { for file in files.values { file.close() } }
        while !Task.isCancelled {
            if ContinuousClock.now >= nextScan {
                scan(&files)
                nextScan = ContinuousClock.now + .milliseconds(Int64(settings.checkInterval * 1000))
                health.set(.healthy, files.isEmpty ? "No file matches \(settings.paths.joined(separator: ", ")) yet" : "Reading \(files.count) file\(files.count == 1 ? "" : "s")")
            }
            var readAny = false
            for key in files.keys.sorted() {
                guard var file = files[key] else { continue }
                let before = file
                var events: [QueuedEvent] = []
                let format = LineFormat(maximumLine: settings.messageMaximumBytes, index: settings.index, suffix: suffix, timestamp: clock.quotedNow())
                let result = file.read(format: format, into: &events)
                if result.bytes > 0 { file.lastGrowth = .now }
                // A rotated file that stopped growing is finished: its last line counts even without a newline.
                let finished = result.eof && file.orphaned && ContinuousClock.now - file.lastGrowth > .seconds(settings.closeInactive)
                if finished { file.flushPending(format: format, into: &events) }
                if !events.isEmpty {
                    do {
                        // Appended in slices, so that a full queue holds the input back within a slice of its limit.
                        for slice in Self.slices(events) {
                            try await context.queue.append(slice)
                            if let last = slice.last { context.registry.noteQueued(key, at: last.offset) }
                        }
                    } catch {
                        // The reader goes back to where it was: the same lines are read again once the queue
                        // takes them (some may come twice, none is lost).
                        files[key] = before
                        if Task.isCancelled { return }
                        health.set(.failed, error.description)
                        context.logger.error("\(error.description)")
                        try? await Task.sleep(for: .seconds(5))
                        continue
                    }
                }
                if result.bytes > 0 { readAny = true }
                if finished {
                    file.close()
                    files[key] = nil
                } else {
                    files[key] = file
                }
            }
            if readAny {
                idle = 0.05
            } else {
                // Nothing new anywhere: wait a little longer each time, never past the scan interval.
                try? await Task.sleep(for: .milliseconds(Int64(idle * 1000)))
                idle = min(idle * 2, max(0.05, settings.checkInterval))
            }
        }
    }

    /// Events cut into runs of at most 64 KiB of documents.
    static func slices(_ events: [QueuedEvent]) -> [ArraySlice<QueuedEvent>] {
        var result: [ArraySlice<QueuedEvent>] = []
        var start = 0
        var bytes = 0
        for (position, event) in events.enumerated() {
            bytes += event.document.count
            if bytes >= 64 << 10 {
                result.append(events[start...position])
                start = position + 1
                bytes = 0
            }
        }
        if start < events.count { result.append(events[start...]) }
        return result
    }

    /// Globs the paths: opens new files, follows renamed ones, notices truncated ones.
    func scan(_ files: inout [String: LogFileReader]) {
        var seen = Set<String>()
        for path in matchingPaths() {
            var status = stat()
            guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
            let key = "\(id)::\(status.st_dev):\(status.st_ino)"
            seen.insert(key)
            context.registry.touch(key)
            if var open = files[key] {
                open.path = path
                open.orphaned = false
                files[key] = open
                continue
            }
            guard var reader = LogFileReader(key: key, path: path, status: status, startingAt: 0) else {
                health.set(.degraded, "Cannot open \(path): \(String(cString: strerror(errno)))")
                continue
            }
            let (start, acknowledged) = startOffset(for: reader, size: UInt64(status.st_size))
            reader.readOffset = start
            reader.pendingStart = start
            // A file that is not the one remembered under its identity starts with nothing acknowledged.
            context.registry.remember(key, FileRegistry.Entry(
                path: path, device: reader.device, inode: reader.inode,
                fingerprint: Data(reader.fingerprint).base64EncodedString(), offset: acknowledged, updated: Date()
            ))
            try? context.registry.save()
            files[key] = reader
        }
        for (key, var file) in files {
            if !seen.contains(key) { file.orphaned = true }
            let known = file.fingerprint
            if file.wasReplaced() {
                context.logger.info("\(file.path) was truncated or replaced; reading it again from the start")
                file.restart()
                context.registry.advance(key, to: 0)
                context.registry.noteQueued(key, at: 0)
            }
            if file.fingerprint != known { context.registry.setFingerprint(key, Data(file.fingerprint).base64EncodedString()) }
            files[key] = file
        }
    }

    /// Where to start a file, and what of it counts as acknowledged: after what this run already queued from it,
    /// else after what the queue holds from it, else after what the output acknowledged; from zero when the file
    /// is not the one remembered under its identity.
    func startOffset(for reader: LogFileReader, size: UInt64) -> (start: UInt64, acknowledged: UInt64) {
        guard let entry = context.registry.entry(reader.key) else { return (0, 0) }
        let remembered = [UInt8](Data(base64Encoded: entry.fingerprint) ?? Data())
        let common = min(remembered.count, reader.fingerprint.count)
        guard remembered.prefix(common) == reader.fingerprint.prefix(common), entry.offset <= size else { return (0, 0) }
        let offset = context.registry.queued(reader.key) ?? queued[reader.key] ?? entry.offset
        return offset <= size ? (offset, entry.offset) : (entry.offset, entry.offset)
    }

    func matchingPaths() -> [String] {
        var result: [String] = []
        for pattern in settings.paths {
            var matches = glob_t()
            defer { globfree(&matches) }
            guard glob(pattern, 0, nil, &matches) == 0 else { continue }
            for index in 0..<Int(matches.gl_pathc) {
                guard let raw = matches.gl_pathv[index] else { continue }
                let path = String(cString: raw)
                let range = NSRange(path.startIndex..., in: path)
                if excludes.contains(where: { $0.firstMatch(in: path, range: range) != nil }) { continue }
                result.append(path)
            }
        }
        return result
    }
}
