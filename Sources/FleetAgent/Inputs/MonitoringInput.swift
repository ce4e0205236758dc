import FleetProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The agent's own logs and metrics, shipped to the policy's monitoring output when `agent.monitoring` asks for
/// them: log lines as `logs-elastic_agent-<namespace>`, and every `period` the agent's figures (events delivered
/// and refused per output, queue sizes, memory, CPU) as `metrics-elastic_agent.flotilla-<namespace>`.
public final class MonitoringInput: AgentInput {
    public struct Settings: Sendable, Equatable, CustomStringConvertible {
        public var logs: Bool
        public var metrics: Bool
        public var namespace: String
        public var period: Double

        public var description: String { "logs=\(logs) metrics=\(metrics) namespace=\(namespace) period=\(period)" }
    }

    public let id = "monitoring"
    public let type = "monitoring"
    public let health = HealthCell()
    let settings: Settings
    let context: InputContext
    let pipeline: DataPipeline
    let tap: AgentLogTap

    init(settings: Settings, context: InputContext, pipeline: DataPipeline, tap: AgentLogTap) {
        self.settings = settings
        self.context = context
        self.pipeline = pipeline
        self.tap = tap
    }

    public func run() async {
        let logSuffix = EventFields.suffix(type: "logs", dataset: "elastic_agent", namespace: settings.namespace, inputType: "monitoring", tags: [], context: context)
        let metricSuffix = EventFields.suffix(type: "metrics", dataset: "elastic_agent.flotilla", namespace: settings.namespace, inputType: "monitoring", tags: [], context: context)
        var clock = EventClock()
        var nextMetrics = ContinuousClock.now
        health.set(.healthy, "Sending the agent's own \([settings.logs ? "logs" : nil, settings.metrics ? "metrics" : nil].compactMap { $0 }.joined(separator: " and "))")
        while !Task.isCancelled {
            var events: [QueuedEvent] = []
            if settings.logs {
                for line in tap.drain() {
                    var json = EventJSON()
                    json.raw("{\"@timestamp\":")
                    json.raw(line.timestamp)
                    json.raw(",\"message\":")
                    json.string(line.message)
                    json.raw(",\"log\":{\"level\":")
                    json.string(line.level.rawValue)
                    json.raw(",\"logger\":")
                    json.string(line.label)
                    json.raw("}")
                    json.raw(logSuffix)
                    events.append(QueuedEvent(index: "logs-elastic_agent-\(settings.namespace)", document: json.bytes))
                }
            }
            if settings.metrics, ContinuousClock.now >= nextMetrics {
                nextMetrics = ContinuousClock.now + .milliseconds(Int64(settings.period * 1000))
                var json = EventJSON()
                json.raw("{\"@timestamp\":")
                json.raw(clock.quotedNow())
                json.raw(",\"flotilla\":")
                json.raw(Array((try? await pipeline.figures().jsonData()) ?? Data("{}".utf8)))
                json.raw(metricSuffix)
                events.append(QueuedEvent(index: "metrics-elastic_agent.flotilla-\(settings.namespace)", document: json.bytes))
            }
            // The agent's own events never hold up its inputs: when the queue is full they are dropped.
            if !events.isEmpty, (try? await context.queue.tryAppend(events)) != true {
                health.set(.degraded, "The monitoring output's queue is full; the agent's own events are dropped until it drains")
            }
            try? await Task.sleep(for: .seconds(min(5, settings.period)))
        }
    }
}
