import Foundation

/// Writes files whole or not at all: into a temporary file beside the target, then renamed over it.
/// Keys and passphrases are created 0600 from the start, so no other user can read them even for a moment.
public enum SecureFileWriter {
    /// - Parameters:
    ///   - secret: create the file 0600.
    ///   - durable: `fsync` before the rename; files that are only a hint (a queue's acknowledged position, which
    ///     at worst makes events be sent again) skip it to stay cheap.
    public static func write(_ text: String, to path: String, secret: Bool, durable: Bool = true) throws(FlotillaError) {
        try write(bytes: Array(text.utf8), to: path, secret: secret, durable: durable)
    }

    /// Writes `data` the same way, 0600 (an upload's chunk, a diagnostics bundle: they may hold what an agent saw).
    public static func write(data: Data, to path: String) throws(FlotillaError) {
        try write(bytes: Array(data), to: path, secret: true, durable: true)
    }

    static func write(bytes: [UInt8], to path: String, secret: Bool, durable: Bool) throws(FlotillaError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FlotillaError("Cannot create the directory \(directory)", hint: "check that this user may write there")
        }
        let temporary = directory + "/.\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, secret ? 0o600 : 0o644)
        guard descriptor >= 0 else {
            throw FlotillaError("Cannot write \(path)", hint: "check that this user may write to \(directory)")
        }
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = !durable || fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw FlotillaError("Cannot write \(path)", hint: "check the free space and permissions of \(directory)")
        }
    }
}
