import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that keeps messages, so a test can assert what an operator would read in the log.
public final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    public init() {}

    public var messages: [String] { lines.withLockedValue { $0 } }

    public func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    /// Waits, without sleeping blindly, until a message containing `text` is logged (or 5 s pass).
    public func waitForMessage(containing text: String) async -> String? {
        for _ in 0..<500 {
            if let found = messages.first(where: { $0.contains(text) }) { return found }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append("\(event.level): \(event.message)")
        }
    }
}
