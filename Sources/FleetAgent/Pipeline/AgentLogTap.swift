import Logging
import NIOConcurrencyHelpers

/// Keeps the agent's own recent log lines for the monitoring input, in a bounded buffer (oldest dropped), and
/// lets them through to the log handler the agent prints with.
public final class AgentLogTap: Sendable {
    /// One log line as the monitoring input ships it.
    public struct Line: Sendable {
        public var timestamp: [UInt8]
        public var level: Logger.Level
        public var label: String
        public var message: String
    }

    private struct State {
        var lines: [Line] = []
        var dropped = 0
        /// The last lines whether shipped or not, for a diagnostics bundle.
        var history: [Line] = []
    }
    static let historyCapacity = 500
    private let state = NIOLockedValueBox(State())
    let capacity: Int

    public init(capacity: Int = 2000) {
        self.capacity = capacity
    }

    func record(_ line: Line) {
        state.withLockedValue { state in
            state.lines.append(line)
            state.history.append(line)
            if state.history.count > Self.historyCapacity { state.history.removeFirst(state.history.count - Self.historyCapacity) }
            if state.lines.count > capacity {
                state.lines.removeFirst(state.lines.count - capacity)
                state.dropped += 1
            }
        }
    }

    /// Takes the lines kept so far.
    func drain() -> [Line] {
        state.withLockedValue { state in
            defer { state.lines.removeAll() }
            return state.lines
        }
    }

    /// The last lines logged, oldest first, shipped or not.
    public func recentLines() -> [Line] {
        state.withLockedValue { $0.history }
    }

    /// A log handler that records each line here and hands it to `upstream`.
    public func handler(label: String, upstream: any LogHandler) -> any LogHandler {
        TapLogHandler(label: label, tap: self, upstream: upstream)
    }
}
