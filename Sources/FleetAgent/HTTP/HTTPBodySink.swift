import Crypto
import FleetTLS
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Where a large response body goes instead of memory: a file, hashed with SHA-256 as it arrives. Used for agent
/// binaries, which are larger than the client's in-memory limit for a response.
///
/// Only a 2xx response's body is written here; an error's body stays in memory for its message. The writes happen
/// on the connection's event loop: they land in the page cache, and a download is the only exchange on its
/// connection, so nothing waits behind them that matters.
public final class HTTPBodySink: Sendable {
    public let path: String
    /// Refuses a body over this many bytes.
    public let limit: Int64
    private struct Progress {
        var handle: FileHandle?
        var hasher = SHA256()
        var written: Int64 = 0
        var failed: String?
    }
    private let progress: NIOLockedValueBox<Progress>

    /// Creates (or empties) the file at `path`, readable by its owner only until it is checked.
    public init(path: String, limit: Int64 = 1 << 32) throws(FlotillaError) {
        self.path = path
        self.limit = limit
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw FlotillaError(
                "Cannot write the download to \(path)",
                hint: "check the free space and permissions there"
            )
        }
        progress = NIOLockedValueBox(Progress(handle: handle))
    }

    /// Appends `bytes`; false (and the download fails) when the disk refuses them or the limit is passed.
    func write(_ bytes: ByteBuffer) -> Bool {
        progress.withLockedValue { progress in
            guard progress.failed == nil, let handle = progress.handle else { return false }
            progress.written += Int64(bytes.readableBytes)
            guard progress.written <= limit else {
                progress.failed = "the download is larger than \(limit) bytes"
                return false
            }
            do {
                let chunk = Data(bytes.readableBytesView)
                try handle.write(contentsOf: chunk)
                progress.hasher.update(data: chunk)
                return true
            } catch {
                progress.failed = "writing \(path) failed: \(error.localizedDescription)"
                return false
            }
        }
    }

    /// Ends the download: closes the file and returns its size and hex SHA-256, or why it failed.
    public func finish() throws(FlotillaError) -> (size: Int64, sha256: String) {
        let result = progress.withLockedValue { progress -> Result<(Int64, String), FlotillaError> in
            if let handle = progress.handle {
                try? handle.synchronize()
                try? handle.close()
                progress.handle = nil
            }
            if let failed = progress.failed { return .failure(FlotillaError("The download failed: \(failed)")) }
            return .success((progress.written, Hex.string(progress.hasher.finalize())))
        }
        return try result.get()
    }

    /// Bytes written so far.
    public var written: Int64 { progress.withLockedValue { $0.written } }
}
