import Logging

/// Records what it logs in an `AgentLogTap`, then logs it with the handler the agent prints with.
struct TapLogHandler: LogHandler {
    let label: String
    let tap: AgentLogTap
    var upstream: any LogHandler

    var metadata: Logger.Metadata {
        get { upstream.metadata }
        set { upstream.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { upstream.logLevel }
        set { upstream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { upstream[metadataKey: key] }
        set { upstream[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var clock = EventClock()
        tap.record(AgentLogTap.Line(timestamp: clock.quotedNow(), level: event.level, label: label, message: "\(event.message)"))
        upstream.log(event: event)
    }
}
