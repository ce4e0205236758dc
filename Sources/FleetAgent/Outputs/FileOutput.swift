import FleetTLS
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The `file` output: each event as one JSON line in `<path>/<filename>.ndjson`, rotated by size, keeping
/// `number_of_files` files. It lets a new user see events land without an Elasticsearch.
public final class FileOutput: AgentOutput {
    public let id: String
    public let type = "file"
    public let settings: OutputSettings
    let directory: String
    private struct State {
        var descriptor: Int32 = -1
        var size = 0
    }
    private let state = NIOLockedValueBox(State())

    public var batchSize: Int { settings.batchSize }
    public var flushInterval: Double { settings.flushInterval }

    public init(settings: OutputSettings) {
        id = settings.id
        self.settings = settings
        directory = settings.path ?? "."
    }

    deinit { close() }

    var currentPath: String { "\(directory)/\(settings.filename).ndjson" }

    public func close() {
        state.withLockedValue { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
            state.descriptor = -1
        }
    }

    public func publish(_ events: [QueuedEvent]) async throws(FlotillaError) -> PublishResult {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(events.reduce(0) { $0 + $1.document.count + 1 })
        for event in events {
            bytes.append(contentsOf: event.document)
            bytes.append(0x0a)
        }
        try state.withLockedValue { state in
            Result { () throws(FlotillaError) in try append(bytes, to: &state) }
        }.get()
        return .delivered
    }

    private func append(_ bytes: [UInt8], to state: inout State) throws(FlotillaError) {
        do {
            if state.descriptor < 0 || state.size >= settings.rotateEveryBytes {
                try open(&state, rotate: state.descriptor >= 0)
            }
            let written = bytes.withUnsafeBytes { Glibc.write(state.descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                let reason = String(cString: strerror(errno))
                Glibc.close(state.descriptor)
                state.descriptor = -1
                throw FlotillaError("Cannot write \(currentPath): \(reason)", hint: "check the space and permissions of outputs.\(id).path")
            }
            state.size += written
        }
    }

    private func open(_ state: inout State, rotate: Bool) throws(FlotillaError) {
        if state.descriptor >= 0 { Glibc.close(state.descriptor) }
        state.descriptor = -1
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FlotillaError("Cannot make the directory \(directory) for the file output \(id)", hint: "check outputs.\(id).path and its permissions")
        }
        if rotate {
            // flotilla.ndjson becomes flotilla.1.ndjson, which becomes flotilla.2.ndjson, and so on.
            let base = "\(directory)/\(settings.filename)"
            unlink("\(base).\(settings.numberOfFiles - 1).ndjson")
            for number in stride(from: settings.numberOfFiles - 2, through: 1, by: -1) {
                rename("\(base).\(number).ndjson", "\(base).\(number + 1).ndjson")
            }
            if settings.numberOfFiles > 1 { rename(currentPath, "\(base).1.ndjson") } else { unlink(currentPath) }
        }
        let descriptor = Glibc.open(currentPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FlotillaError("Cannot open \(currentPath) for the file output \(id): \(String(cString: strerror(errno)))", hint: "check outputs.\(id).path and its permissions")
        }
        var status = stat()
        fstat(descriptor, &status)
        state.descriptor = descriptor
        state.size = Int(status.st_size)
    }

    public func probe() async throws(FlotillaError) {
        try state.withLockedValue { state in
            Result { () throws(FlotillaError) in try open(&state, rotate: false) }
        }.get()
    }
}
