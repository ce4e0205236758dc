import FleetTLS
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Where events an output refused for good go (a mapping error): one JSON line each with the output, the data
/// stream, the status and the reason, and the event itself, so nothing is dropped silently and an operator can
/// fix the mapping and send them again. The file is kept under 100 MiB by rotating it once.
public final class DeadLetterFile: Sendable {
    public let path: String
    let maximumBytes: Int
    private let lock = NIOLock()

    public init(path: String, maximumBytes: Int = 100 << 20) {
        self.path = path
        self.maximumBytes = maximumBytes
    }

    /// Appends the refused events.
    public func write(_ entries: [(event: QueuedEvent, refusal: PublishResult.Refusal)], output: String) throws(FlotillaError) {
        var clock = EventClock()
        var bytes: [UInt8] = []
        for entry in entries {
            var json = EventJSON()
            json.raw("{\"@timestamp\":")
            json.raw(clock.quotedNow())
            json.raw(",\"output\":")
            json.string(output)
            json.raw(",\"index\":")
            json.string(entry.event.index)
            json.raw(",\"status\":\(entry.refusal.status),\"reason\":")
            json.string(entry.refusal.reason)
            json.raw(",\"event\":")
            json.raw(entry.event.document)
            json.raw("}\n")
            bytes.append(contentsOf: json.bytes)
        }
        lock.lock()
        defer { lock.unlock() }
        do {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var status = stat()
            if stat(path, &status) == 0, Int(status.st_size) > maximumBytes { rename(path, path + ".1") }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw FlotillaError("Cannot write the dead-letter file \(path): \(String(cString: strerror(errno)))", hint: "check the space and permissions of the agent's --base-path")
            }
            defer { close(descriptor) }
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                throw FlotillaError("Cannot write the dead-letter file \(path): \(String(cString: strerror(errno)))", hint: "free space on the disk of the agent's --base-path")
            }
        }
    }
}
