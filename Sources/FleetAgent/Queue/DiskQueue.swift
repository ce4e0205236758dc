import FleetTLS
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The queue between inputs and an output: records appended to segment files under one directory, read in order,
/// and removed only once the output has acknowledged them, so events survive a restart, a kill -9 and an output
/// outage.
///
/// A record is its length and CRC-32, then the event (`QueuedEvent.encode`). On opening, every segment is checked:
/// a torn record at the end of the last one (a kill during a write) is cut off; a damaged record elsewhere skips the
/// rest of its segment with a warning naming the file, and `damaged` says so, so inputs re-read from their last
/// acknowledged positions rather than trust what the queue holds.
public actor DiskQueue {
    /// What the queue holds now, for the agent's health and metrics.
    public struct Figures: Sendable, Equatable {
        public var events: Int
        public var bytes: Int
        public var maximumBytes: Int
    }

    public nonisolated let directory: String
    public nonisolated let maximumBytes: Int
    let segmentBytes: UInt64
    let logger: Logger

    /// Segment ids in order, with the length of their checked records.
    private var segments: [(id: UInt64, length: UInt64)] = []
    private var writeDescriptor: Int32 = -1
    private var readPosition: QueuePosition
    private var ackPosition: QueuePosition
    private var unackedEvents = 0
    private var unackedBytes = 0
    private var dataWaiters: [CheckedContinuation<Void, Never>] = []
    /// Readers waiting for a whole batch, by id, so that a cancelled wait can be found and resumed.
    private var batchWaiters: [UInt64: (minimum: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var cancelledWaiters = Set<UInt64>()
    private var nextWaiter: UInt64 = 0
    /// Events appended and not yet read, and the bytes they take.
    public private(set) var unread = 0
    private var unreadBytes = 0
    /// Writers waiting for room, by id, so that a cancelled wait can be found and resumed.
    private var spaceWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var closed = false

    /// For each source, the offset after the last event (in queue order) the queue holds from it: an input resumes
    /// reading there.
    public nonisolated let resumeOffsets: [String: UInt64]
    /// Whether a damaged record was found on opening, so that `resumeOffsets` cannot be trusted.
    public nonisolated let damaged: Bool

    static let headerBytes = 8
    /// Larger lengths in a header are damage, not records.
    static let maximumRecord = 64 << 20

    /// Opens the queue in `directory`, making it if needed.
    /// - Parameters:
    ///   - maximumBytes: appends wait (or are refused) while the unacknowledged records take this much.
    ///   - segmentBytes: a new segment file starts once the current one is this large.
    public init(directory: String, maximumBytes: Int, segmentBytes: Int = 8 << 20, logger: Logger) throws(FlotillaError) {
        self.directory = directory
        self.maximumBytes = maximumBytes
        self.segmentBytes = UInt64(segmentBytes)
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FlotillaError("Cannot make the queue directory \(directory): \(error.localizedDescription)", hint: "check the permissions of the agent's --base-path")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let ids = names.compactMap { name -> UInt64? in
            guard name.hasSuffix(".seg") else { return nil }
            return UInt64(name.dropLast(4))
        }.sorted()
        var ack = Self.readAck(in: directory) ?? QueuePosition(segment: ids.first ?? 1, offset: 0)
        if let first = ids.first, ack.segment < first { ack = QueuePosition(segment: first, offset: 0) }
        var resume: [String: UInt64] = [:]
        var damaged = false
        var events = 0
        var bytes = 0
        var checked: [(id: UInt64, length: UInt64)] = []
        for id in ids {
            let path = Self.path(directory, id)
            // Segments wholly before the acknowledged position were delivered; a crash left them behind.
            guard id >= ack.segment else { unlink(path); continue }
            let start = id == ack.segment ? ack.offset : 0
            let scan = Self.scan(path: path, from: start)
            for (source, offset) in scan.resume { resume[source] = offset }
            events += scan.events
            bytes += scan.bytes
            if scan.damagedAt != nil {
                if id == ids.last {
                    // A write cut short by a kill: the record never counted as queued, so cut it off.
                    truncate(path, off_t(scan.length))
                } else {
                    damaged = true
                    logger.warning("The queue segment \(path) is damaged at byte \(scan.length); the events after that point in it are skipped and the inputs read again from their last delivered positions")
                }
            }
            checked.append((id, scan.length))
        }
        if checked.isEmpty { checked = [(ack.segment, 0)] }
        segments = checked
        readPosition = ack
        ackPosition = ack
        unackedEvents = events
        unackedBytes = bytes
        unread = events
        unreadBytes = bytes
        resumeOffsets = damaged ? [:] : resume
        self.damaged = damaged
        let last = checked[checked.count - 1]
        writeDescriptor = open(Self.path(directory, last.id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard writeDescriptor >= 0 else {
            throw FlotillaError("Cannot open the queue segment \(Self.path(directory, last.id)): \(String(cString: strerror(errno)))", hint: "check the permissions of the agent's --base-path")
        }
    }

    deinit {
        if writeDescriptor >= 0 { Glibc.close(writeDescriptor) }
    }

    /// Writers waiting for room: inputs the full queue holds back.
    public var waitingWriters: Int { spaceWaiters.count }

    public var figures: Figures { Figures(events: unackedEvents, bytes: unackedBytes, maximumBytes: maximumBytes) }

    /// Appends `events` if they fit; `false` when the queue is full (nothing is written then).
    public func tryAppend(_ events: some Collection<QueuedEvent> & Sendable) throws(FlotillaError) -> Bool {
        guard !events.isEmpty else { return true }
        guard !closed else { throw Self.closedError }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(events.reduce(0) { $0 + $1.document.count + 64 })
        for event in events {
            guard event.document.count + event.index.utf8.count + event.source.utf8.count + 16 <= Self.maximumRecord else {
                throw FlotillaError("An event of \(event.document.count >> 20) MiB is too large for the queue (at most \(Self.maximumRecord >> 20) MiB)", hint: "lower message_max_bytes")
            }
            Self.frame(event, into: &bytes)
        }
        // An empty queue takes any batch, so one batch larger than the limit cannot stall an input for ever.
        guard unackedBytes == 0 || unackedBytes + bytes.count <= maximumBytes else { return false }
        try write(bytes)
        unackedEvents += events.count
        unackedBytes += bytes.count
        unread += events.count
        unreadBytes += bytes.count
        let waiters = dataWaiters
        dataWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        for (id, waiter) in batchWaiters where waiter.minimum <= unread {
            batchWaiters[id] = nil
            waiter.continuation.resume()
        }
        return true
    }

    /// Appends `events`, waiting while the queue is full: this is how a log input stops reading without dropping.
    public func append(_ events: some Collection<QueuedEvent> & Sendable) async throws(FlotillaError) {
        while true {
            if try tryAppend(events) { return }
            guard !closed, !Task.isCancelled else { throw Self.closedError }
            let id = nextWaiter
            nextWaiter += 1
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if cancelledWaiters.remove(id) != nil { return continuation.resume() }
                    spaceWaiters[id] = continuation
                }
            } onCancel: {
                Task { await self.cancelSpaceWaiter(id) }
            }
            cancelledWaiters.remove(id)
        }
    }

    static var closedError: FlotillaError {
        FlotillaError("The queue is closed: its output or the agent is stopping", hint: "the events are read again from the file at the next start")
    }

    private func cancelSpaceWaiter(_ id: UInt64) {
        if let waiter = spaceWaiters.removeValue(forKey: id) {
            waiter.resume()
        } else {
            cancelledWaiters.insert(id)
        }
    }

    /// Waits until there is something to read or the queue is closed.
    public func waitForEvents() async {
        guard !hasUnread, !closed else { return }
        await withCheckedContinuation { dataWaiters.append($0) }
    }

    /// Waits until `minimum` events are unread, the queue is closed, or the waiting task is cancelled (an output
    /// that stops waiting for a full batch and sends what there is).
    public func waitForEvents(minimum: Int) async {
        guard unread < minimum, !closed else { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if cancelledWaiters.remove(id) != nil { return continuation.resume() }
                batchWaiters[id] = (minimum, continuation)
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        cancelledWaiters.remove(id)
    }

    private func cancelWaiter(_ id: UInt64) {
        if let waiter = batchWaiters.removeValue(forKey: id) {
            waiter.continuation.resume()
        } else {
            cancelledWaiters.insert(id)
        }
    }

    /// Up to `maximum` events from the read position on, or `nil` when there are none. A record that fails its
    /// check ends its segment here: the rest of that segment is skipped with a warning and the figures recounted.
    public func read(maximum: Int) -> QueueBatch? {
        var events: [QueuedEvent] = []
        var bytes = 0
        var position = readPosition
        var damagedSomewhere = false
        reading: while events.count < maximum {
            guard let index = segments.firstIndex(where: { $0.id == position.segment }) else { break }
            let length = segments[index].length
            if position.offset >= length {
                guard index + 1 < segments.count else { break }
                position = QueuePosition(segment: segments[index + 1].id, offset: 0)
                continue
            }
            let path = Self.path(directory, position.segment)
            let available = Int(length - position.offset)
            // An I/O error (too many open files, say) is not damage: the same records are read next time.
            guard var chunk = Self.readChunk(path: path, offset: position.offset, count: min(available, Self.chunkBytes)) else { break }
            var parsed = Self.parse(chunk, maximum: maximum - events.count)
            if parsed.events.isEmpty, let needed = parsed.needs {
                if needed > available {
                    // A record that claims more than the segment holds is damage.
                    parsed.damaged = true
                } else if let whole = Self.readChunk(path: path, offset: position.offset, count: needed) {
                    // One record larger than a chunk: read it whole.
                    chunk = whole
                    parsed = Self.parse(chunk, maximum: maximum - events.count)
                } else {
                    break reading
                }
            }
            events += parsed.events
            bytes += parsed.consumed
            position.offset += UInt64(parsed.consumed)
            if parsed.damaged {
                logger.warning("The queue segment \(path) is damaged at byte \(position.offset); the rest of it is skipped")
                skipDamaged(segmentIndex: index, at: position.offset)
                damagedSomewhere = true
            } else if parsed.events.isEmpty {
                break
            }
        }
        unread = max(0, unread - events.count)
        unreadBytes = max(0, unreadBytes - bytes)
        readPosition = position
        if damagedSomewhere { recountAfterDamage() }
        guard !events.isEmpty else { return nil }
        return QueueBatch(events: events, end: position, bytes: bytes)
    }

    /// Records of a chunk: the events, the bytes they took, whether one failed its check, and how many bytes the
    /// first record needs when the chunk holds only part of it.
    struct Parsed {
        var events: [QueuedEvent] = []
        var consumed = 0
        var damaged = false
        var needs: Int?
    }

    static func parse(_ chunk: [UInt8], maximum: Int) -> Parsed {
        var parsed = Parsed()
        var strings = QueuedEvent.Strings()
        chunk.withUnsafeBytes { raw in
            while parsed.events.count < maximum, parsed.consumed + headerBytes <= raw.count {
                let cursor = parsed.consumed
                let size = Int(uint32(raw, cursor))
                guard size <= maximumRecord else { parsed.damaged = true; return }
                guard cursor + headerBytes + size <= raw.count else {
                    if parsed.events.isEmpty { parsed.needs = headerBytes + size }
                    return
                }
                let payload = UnsafeRawBufferPointer(rebasing: raw[(cursor + headerBytes)..<(cursor + headerBytes + size)])
                guard CRC32.checksum(payload) == uint32(raw, cursor + 4), let event = QueuedEvent(record: payload, strings: &strings) else {
                    parsed.damaged = true
                    return
                }
                parsed.events.append(event)
                parsed.consumed += headerBytes + size
            }
            if parsed.events.isEmpty, parsed.needs == nil, !parsed.damaged, raw.count < headerBytes { parsed.needs = headerBytes }
        }
        return parsed
    }

    /// After records were skipped: what is left unread is counted again from the segments.
    private func recountAfterDamage() {
        let inFlightEvents = max(0, unackedEvents - unread)
        let inFlightBytes = max(0, unackedBytes - unreadBytes)
        var events = 0
        var bytes = 0
        for segment in segments where segment.id >= readPosition.segment {
            let scan = Self.scan(path: Self.path(directory, segment.id), from: segment.id == readPosition.segment ? readPosition.offset : 0, upTo: segment.length)
            events += scan.events
            bytes += scan.bytes
        }
        unread = events
        unreadBytes = bytes
        unackedEvents = inFlightEvents + events
        unackedBytes = inFlightBytes + bytes
    }

    /// Removes a delivered batch: the acknowledged position is written (atomically) before segments are deleted.
    public func acknowledge(_ batch: QueueBatch) throws(FlotillaError) {
        ackPosition = max(ackPosition, batch.end)
        unackedEvents = max(0, unackedEvents - batch.events.count)
        unackedBytes = max(0, unackedBytes - batch.bytes)
        try SecureFileWriter.write("{\"segment\":\(ackPosition.segment),\"offset\":\(ackPosition.offset)}", to: "\(directory)/ack.json", secret: true, durable: false)
        while segments.count > 1, segments[0].id < ackPosition.segment {
            unlink(Self.path(directory, segments[0].id))
            segments.removeFirst()
        }
        let waiters = spaceWaiters.values
        spaceWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// Forces written records to disk; called about once a second, so that even a power cut loses at most that.
    public func sync() {
        fsync(writeDescriptor)
    }

    /// Wakes every waiter and refuses to wait again: the output or the agent is stopping.
    public func close() {
        closed = true
        for waiter in dataWaiters + Array(spaceWaiters.values) { waiter.resume() }
        for waiter in batchWaiters.values { waiter.continuation.resume() }
        dataWaiters.removeAll()
        spaceWaiters.removeAll()
        batchWaiters.removeAll()
    }

    // MARK: - Segments

    private var hasUnread: Bool {
        guard let last = segments.last else { return false }
        return readPosition < QueuePosition(segment: last.id, offset: last.length)
    }

    private func write(_ bytes: [UInt8]) throws(FlotillaError) {
        var last = segments[segments.count - 1]
        if last.length >= segmentBytes {
            try roll()
            last = segments[segments.count - 1]
        }
        let written = bytes.withUnsafeBytes { raw -> Int in
            var done = 0
            while done < raw.count {
                let result = Glibc.write(writeDescriptor, raw.baseAddress! + done, raw.count - done)
                if result < 0 { if errno == EINTR { continue }; return -1 }
                done += result
            }
            return done
        }
        guard written == bytes.count else {
            let reason = String(cString: strerror(errno))
            // What was partly written is cut off, so the segment stays whole.
            ftruncate(writeDescriptor, off_t(last.length))
            throw FlotillaError("Cannot write the queue segment \(Self.path(directory, last.id)): \(reason)", hint: "free space on the disk of the agent's --base-path")
        }
        segments[segments.count - 1].length += UInt64(bytes.count)
    }

    private func roll() throws(FlotillaError) {
        let id = segments[segments.count - 1].id + 1
        let descriptor = open(Self.path(directory, id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FlotillaError("Cannot make the queue segment \(Self.path(directory, id)): \(String(cString: strerror(errno)))", hint: "check the space and permissions of the agent's --base-path")
        }
        fsync(writeDescriptor)
        Glibc.close(writeDescriptor)
        writeDescriptor = descriptor
        segments.append((id, 0))
    }

    /// Treats a segment as ending where damage was found; the writer moves on to a fresh segment.
    private func skipDamaged(segmentIndex: Int, at offset: UInt64) {
        segments[segmentIndex].length = offset
        if segmentIndex == segments.count - 1 { try? roll() }
    }

    static func frame(_ event: QueuedEvent, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        event.encode(into: &bytes)
        let size = bytes.count - start - headerBytes
        let checksum = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerBytes)...])) }
        for shift in 0..<4 {
            bytes[start + shift] = UInt8(truncatingIfNeeded: UInt32(size) >> (8 * shift))
            bytes[start + 4 + shift] = UInt8(truncatingIfNeeded: checksum >> (8 * shift))
        }
    }

    static func uint32(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24
    }

    static func path(_ directory: String, _ id: UInt64) -> String {
        "\(directory)/\(String(repeating: "0", count: max(0, 12 - String(id).count)))\(id).seg"
    }

    static let chunkBytes = 1 << 20

    /// `count` bytes of a segment from `offset`, or `nil` when the file cannot be read now.
    static func readChunk(path: String, offset: UInt64, count: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let result = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + got, count - got, off_t(offset) + off_t(got)) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { break }
            got += result
        }
        guard got > 0 else { return nil }
        if got < count { buffer.removeLast(count - got) }
        return buffer
    }

    struct Scan {
        var length: UInt64
        var events = 0
        var bytes = 0
        var resume: [String: UInt64] = [:]
        var damagedAt: UInt64?
    }

    /// Checks a segment's records from `start`: how far they are whole, what they hold.
    static func scan(path: String, from start: UInt64, upTo limit: UInt64? = nil) -> Scan {
        guard var data = FileManager.default.contents(atPath: path) else { return Scan(length: start) }
        if let limit, UInt64(data.count) > limit { data = data.prefix(Int(limit)) }
        var scan = Scan(length: start)
        data.withUnsafeBytes { raw in
            var cursor = Int(min(start, UInt64(raw.count)))
            while cursor < raw.count {
                guard cursor + headerBytes <= raw.count else { scan.damagedAt = UInt64(cursor); break }
                let size = Int(uint32(raw, cursor))
                guard size <= maximumRecord, cursor + headerBytes + size <= raw.count else { scan.damagedAt = UInt64(cursor); break }
                let payload = UnsafeRawBufferPointer(rebasing: raw[(cursor + headerBytes)..<(cursor + headerBytes + size)])
                guard CRC32.checksum(payload) == uint32(raw, cursor + 4), let event = QueuedEvent(record: payload) else {
                    scan.damagedAt = UInt64(cursor)
                    break
                }
                // The last offset in queue order is where a source resumes (after a truncation it is lower).
                if !event.source.isEmpty { scan.resume[event.source] = event.offset }
                scan.events += 1
                scan.bytes += headerBytes + size
                cursor += headerBytes + size
            }
            scan.length = UInt64(cursor)
        }
        return scan
    }

    static func readAck(in directory: String) -> QueuePosition? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/ack.json") else { return nil }
        return try? JSONDecoder().decode(QueuePosition.self, from: data)
    }
}
