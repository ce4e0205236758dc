import FleetTLS
import Foundation
import NIOConcurrencyHelpers

/// Where reading resumes in each log file: the offset up to which an output has acknowledged its lines, with the
/// file's identity (device, inode and its first bytes), kept in one JSON file written atomically.
public final class FileRegistry: Sendable {
    /// One file as the registry remembers it.
    public struct Entry: Codable, Sendable, Equatable {
        public var path: String
        public var device: UInt64
        public var inode: UInt64
        /// Up to the first 64 bytes of the file, base64: a file that reuses an inode starts differently.
        public var fingerprint: String
        /// Acknowledged up to here.
        public var offset: UInt64
        public var updated: Date
    }

    public let path: String
    private struct State {
        var entries: [String: Entry]
        /// How far each file was read into the queue in this run: an input restarted by a policy change resumes
        /// there instead of reading again what the queue already holds.
        var queued: [String: UInt64] = [:]
        var dirty = false
    }
    private let state: NIOLockedValueBox<State>

    /// Loads the registry at `path`; a missing one is empty, a damaged one is set aside with a warning by the caller.
    public init(path: String) throws(FlotillaError) {
        self.path = path
        var entries: [String: Entry] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            guard let decoded = try? decoder.decode([String: Entry].self, from: data) else {
                throw FlotillaError("The file registry \(path) is damaged", hint: "move it aside; the agent then reads its log files from the start again")
            }
            entries = decoded
        }
        state = NIOLockedValueBox(State(entries: entries))
    }

    public func entry(_ key: String) -> Entry? {
        state.withLockedValue { $0.entries[key] }
    }

    /// Records a file when an input first opens it, keeping a known offset.
    public func remember(_ key: String, _ entry: Entry) {
        state.withLockedValue { state in
            state.entries[key] = entry
            state.dirty = true
        }
    }

    /// Notes that a file's lines up to `offset` are in the queue.
    public func noteQueued(_ key: String, at offset: UInt64) {
        state.withLockedValue { $0.queued[key] = offset }
    }

    /// How far a file was read into the queue in this run.
    public func queued(_ key: String) -> UInt64? {
        state.withLockedValue { $0.queued[key] }
    }

    /// Sets a file's acknowledged offset: where its last delivered line ends. It moves back when a truncated file
    /// is read again from its start.
    public func advance(_ key: String, to offset: UInt64) {
        state.withLockedValue { state in
            guard var entry = state.entries[key] else { return }
            entry.offset = offset
            entry.updated = Date()
            state.entries[key] = entry
            state.dirty = true
        }
    }

    /// Keeps a file's first bytes as they are now (they grow with a young file, and change when it is rewritten).
    public func setFingerprint(_ key: String, _ fingerprint: String) {
        state.withLockedValue { state in
            guard var entry = state.entries[key], entry.fingerprint != fingerprint else { return }
            entry.fingerprint = fingerprint
            state.entries[key] = entry
            state.dirty = true
        }
    }

    /// Marks a file as still there (at most once an hour), so an idle file is not forgotten.
    public func touch(_ key: String) {
        state.withLockedValue { state in
            guard var entry = state.entries[key], entry.updated < Date().addingTimeInterval(-3600) else { return }
            entry.updated = Date()
            state.entries[key] = entry
            state.dirty = true
        }
    }

    /// Forgets files not seen for `age` seconds, so the registry does not grow with every rotated file.
    public func forget(olderThan age: TimeInterval, except keep: Set<String>) {
        state.withLockedValue { state in
            let limit = Date().addingTimeInterval(-age)
            for (key, entry) in state.entries where entry.updated < limit && !keep.contains(key) {
                state.entries[key] = nil
                state.dirty = true
            }
        }
    }

    /// Writes the registry if it changed (temporary file, fsync, rename).
    public func save() throws(FlotillaError) {
        let snapshot: [String: Entry]? = state.withLockedValue { state in
            guard state.dirty else { return nil }
            state.dirty = false
            return state.entries
        }
        guard let snapshot else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(snapshot) else { return }
        do {
            try SecureFileWriter.write(String(decoding: data, as: UTF8.self), to: path, secret: true)
        } catch {
            state.withLockedValue { $0.dirty = true }
            throw error
        }
    }
}
