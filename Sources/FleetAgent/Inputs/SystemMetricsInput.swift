import FleetProtocol
import FleetTLS
import Foundation

/// The `system/metrics` input: CPU, memory, load, network and file-system figures from `/proc` every `period`.
/// When the queue is full, samples wait in a small buffer whose oldest entries are dropped and counted: a metric
/// from an hour ago is worth less than the room it takes.
public final class SystemMetricsInput: AgentInput {
    /// One stream: a metricset and how often it is sampled.
    public struct Stream: Sendable, Equatable {
        public var metricset: String
        public var period: Double
        public var namespace: String
    }

    public let id: String
    public let type = "system/metrics"
    public let health = HealthCell()
    public let streams: [Stream]
    let context: InputContext
    let tags: [String]
    /// Samples kept while the queue is full.
    let bufferLimit: Int
    private let droppedCount = HealthCounter()

    public init(id: String, streams: [Stream], tags: [String], context: InputContext, bufferLimit: Int = 1000) {
        self.id = id
        self.streams = streams
        self.tags = tags
        self.context = context
        self.bufferLimit = bufferLimit
    }

    /// The streams of a policy input: `streams[]` with `metricsets` and `period`, or every metricset at the
    /// input's `period` (default 10 s).
    public static func streams(of input: JSONValue, field: String) throws(FlotillaError) -> [Stream] {
        let namespace = input["data_stream"]?["namespace"]?.stringValue ?? "default"
        func period(_ value: JSONValue?, _ here: String) throws(FlotillaError) -> Double {
            guard let text = value?.stringValue else { return 10 }
            guard let seconds = parseGoDuration(text), seconds >= 1 else {
                throw FlotillaError("The period \(text) at \(here) is not a duration of at least 1s", hint: "write it like 10s or 1m")
            }
            return seconds
        }
        guard let listed = input["streams"]?.arrayValue else {
            let every = try period(input["period"], field)
            return ProcSampler.metricsets.map { Stream(metricset: $0, period: every, namespace: namespace) }
        }
        var result: [Stream] = []
        for (position, stream) in listed.enumerated() {
            let here = "\(field).streams[\(position)]"
            let sets = stream["metricsets"]?.arrayValue?.compactMap(\.stringValue)
                ?? stream["data_stream"]?["dataset"]?.stringValue.map { [String($0.split(separator: ".").last ?? "")] } ?? []
            for set in sets {
                guard ProcSampler.metricsets.contains(set) else {
                    throw FlotillaError("The metricset \(set) at \(here) is not one this agent collects", hint: "use \(ProcSampler.metricsets.joined(separator: ", "))")
                }
                result.append(Stream(metricset: set, period: try period(stream["period"], here), namespace: stream["data_stream"]?["namespace"]?.stringValue ?? namespace))
            }
        }
        return result
    }

    /// Samples dropped because the queue was full, since the input started.
    public var dropped: Int { droppedCount.value }

    public func run() async {
        var sampler = ProcSampler()
        var clock = EventClock()
        var due = streams.map { _ in ContinuousClock.now }
        var buffer: [QueuedEvent] = []
        let suffixes = streams.map {
            EventFields.suffix(type: "metrics", dataset: "system.\($0.metricset)", namespace: $0.namespace, inputType: "system/metrics", tags: tags, context: context)
        }
        health.set(.healthy, "Collecting \(streams.map(\.metricset).joined(separator: ", "))")
        while !Task.isCancelled {
            let now = ContinuousClock.now
            for (position, stream) in streams.enumerated() where due[position] <= now {
                due[position] = now + .milliseconds(Int64(stream.period * 1000))
                let timestamp = clock.quotedNow()
                for sample in sampler.sample(stream.metricset) {
                    var json = EventJSON()
                    json.raw("{\"@timestamp\":")
                    json.raw(timestamp)
                    json.raw(",\"metricset\":{\"name\":\"\(stream.metricset)\",\"period\":\(Int(stream.period * 1000))}")
                    json.raw(",\"system\":")
                    json.raw(EventJSON.fragment(sample))
                    json.raw(suffixes[position])
                    buffer.append(QueuedEvent(index: "metrics-system.\(stream.metricset)-\(stream.namespace)", document: json.bytes))
                }
            }
            if buffer.count > bufferLimit {
                let excess = buffer.count - bufferLimit
                buffer.removeFirst(excess)
                droppedCount.add(excess)
                health.set(.degraded, "The queue is full: \(droppedCount.value) metric samples dropped so far, oldest first")
            }
            do {
                if try await context.queue.tryAppend(buffer) {
                    if !buffer.isEmpty && droppedCount.value > 0 && health.current.status == .degraded {
                        health.set(.healthy, "Collecting again; \(droppedCount.value) samples were dropped while the queue was full")
                    }
                    buffer.removeAll()
                }
            } catch {
                health.set(.failed, error.description)
            }
            let next = due.min() ?? now + .seconds(10)
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}
