import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One open log file of a `logfile` input: reads complete lines from its position on and turns them into events.
/// The file is known by its identity (device and inode), not its name, so a rename (rotation) keeps its position
/// and a new file under the old name starts at zero.
struct LogFileReader {
    let key: String
    var path: String
    let device: UInt64
    let inode: UInt64
    let descriptor: Int32
    /// The first bytes as last checked; a file whose start changed was truncated and written anew.
    var fingerprint: [UInt8]
    /// Where the next read starts.
    var readOffset: UInt64
    /// Bytes of a line whose end has not been written yet, and where that line starts.
    var pending: [UInt8] = []
    var pendingStart: UInt64
    /// A line longer than the limit is being skipped up to its end.
    var skipping = false
    /// No longer matched by the input's paths (renamed away or deleted): read to its end, then closed.
    var orphaned = false
    /// When the file last grew: an orphaned file is closed once it has not grown for a while.
    var lastGrowth = ContinuousClock.now
    var pathFragment: [UInt8]

    static let fingerprintBytes = 64
    static let chunkBytes = 128 << 10

    init?(key: String, path: String, status: stat, startingAt offset: UInt64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.key = key
        self.path = path
        self.device = UInt64(status.st_dev)
        self.inode = UInt64(status.st_ino)
        self.descriptor = descriptor
        self.fingerprint = Self.firstBytes(descriptor)
        self.readOffset = offset
        self.pendingStart = offset
        var fragment = EventJSON(capacity: path.utf8.count + 64)
        fragment.raw(",\"log\":{\"file\":{\"path\":")
        fragment.string(path)
        fragment.raw(",\"device_id\":\(device),\"inode\":\(inode)},\"offset\":")
        self.pathFragment = fragment.bytes
    }

    func close() { Glibc.close(descriptor) }

    static func firstBytes(_ descriptor: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: fingerprintBytes)
        let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, fingerprintBytes, 0) }
        return got > 0 ? Array(buffer.prefix(got)) : []
    }

    /// Whether the file was truncated (shorter than the position) or rewritten (its first bytes changed) since it
    /// was read; the fingerprint grows to its full length as the file does.
    mutating func wasReplaced() -> Bool {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        if UInt64(status.st_size) < readOffset { return true }
        let now = Self.firstBytes(descriptor)
        let common = min(now.count, fingerprint.count)
        if now.prefix(common) != fingerprint.prefix(common) { return true }
        if now.count > fingerprint.count { fingerprint = now }
        return false
    }

    /// Starts the file again from its beginning.
    mutating func restart() {
        readOffset = 0
        pendingStart = 0
        pending.removeAll()
        skipping = false
        fingerprint = Self.firstBytes(descriptor)
    }

    /// Reads what was written since the last call and returns one event per complete line; `eof` says the file
    /// had nothing more.
    mutating func read(format: LineFormat, into events: inout [QueuedEvent]) -> (bytes: Int, eof: Bool) {
        var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
        let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Self.chunkBytes, off_t(readOffset)) }
        guard got > 0 else { return (0, true) }
        let chunkStart = readOffset
        readOffset += UInt64(got)
        buffer.withUnsafeBytes { raw in
            var lineStart = 0
            for position in 0..<got where raw[position] == 0x0a {
                let piece = UnsafeRawBufferPointer(rebasing: raw[lineStart..<position])
                let end = chunkStart + UInt64(position) + 1
                if skipping {
                    skipping = false
                } else if pending.isEmpty {
                    emit(piece, start: chunkStart + UInt64(lineStart), end: end, format: format, into: &events)
                } else {
                    pending.append(contentsOf: piece)
                    let line = pending
                    pending.removeAll(keepingCapacity: true)
                    line.withUnsafeBytes { emit($0, start: pendingStart, end: end, format: format, into: &events) }
                }
                lineStart = position + 1
            }
            guard lineStart < got, !skipping else { return }
            if pending.isEmpty { pendingStart = chunkStart + UInt64(lineStart) }
            pending.append(contentsOf: raw[lineStart..<got])
            // A line that never ends is cut at the limit and the rest of it skipped, so memory stays bounded.
            if pending.count > format.maximumLine {
                let line = pending
                pending.removeAll()
                skipping = true
                line.withUnsafeBytes { emit($0, start: pendingStart, end: readOffset, format: format, into: &events) }
            }
        }
        return (got, false)
    }

    /// The last line of a file that will not grow any more, even without its newline.
    mutating func flushPending(format: LineFormat, into events: inout [QueuedEvent]) {
        guard !pending.isEmpty, !skipping else { return }
        let line = pending
        pending.removeAll()
        line.withUnsafeBytes { emit($0, start: pendingStart, end: readOffset, format: format, into: &events) }
    }

    private func emit(_ line: UnsafeRawBufferPointer, start: UInt64, end: UInt64, format: LineFormat, into events: inout [QueuedEvent]) {
        var text = line
        if let last = text.last, last == 0x0d { text = UnsafeRawBufferPointer(rebasing: text.dropLast()) }
        let truncated = text.count > format.maximumLine
        if truncated { text = UnsafeRawBufferPointer(rebasing: text.prefix(format.maximumLine)) }
        var json = EventJSON(capacity: text.count + format.suffix.count + pathFragment.count + 96)
        json.raw("{\"@timestamp\":")
        json.raw(format.timestamp)
        json.raw(",\"message\":")
        json.string(utf8: text)
        json.raw(pathFragment)
        json.number(start)
        if truncated { json.raw(",\"flags\":[\"truncated\"]") }
        json.raw("}")
        json.raw(format.suffix)
        events.append(QueuedEvent(index: format.index, source: key, offset: end, document: json.bytes))
    }
}
