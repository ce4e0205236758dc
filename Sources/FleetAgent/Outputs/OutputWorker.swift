import FleetTLS
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Moves events from one queue to one output, for every kind of output: batches, retries with backoff, the
/// dead-letter file, and the acknowledgement that lets the queue drop a batch and the inputs' positions advance.
/// A batch is acknowledged only once every event in it landed or was dead-lettered, so delivery is at-least-once.
public final class OutputWorker: Sendable {
    public let id: String
    public let queue: DiskQueue
    let registry: FileRegistry
    let deadLetters: DeadLetterFile
    let logger: Logger
    public let health = HealthCell()
    /// Events delivered, refused for good, and requests that failed whole, since the agent started.
    public let delivered = HealthCounter()
    public let refused = HealthCounter()
    public let failedRequests = HealthCounter()
    private struct Current {
        var output: any AgentOutput
        var settings: OutputSettings
        /// Set when newer settings were refused: the sentence the output's health carries along.
        var keptBecause: String?
    }
    private let current: NIOLockedValueBox<Current>

    public init(output: any AgentOutput, settings: OutputSettings, queue: DiskQueue, registry: FileRegistry, deadLetters: DeadLetterFile, logger: Logger) {
        self.id = output.id
        self.queue = queue
        self.registry = registry
        self.deadLetters = deadLetters
        self.logger = logger
        self.current = NIOLockedValueBox(Current(output: output, settings: settings))
    }

    public var settings: OutputSettings { current.withLockedValue { $0.settings } }

    /// Puts new settings in place between two requests; the old output's connections close.
    public func replace(with output: any AgentOutput, settings: OutputSettings) {
        let old = current.withLockedValue { current in
            defer { current = Current(output: output, settings: settings) }
            return current.output
        }
        old.close()
    }

    /// Records that newer settings were refused, so the output reports degraded while the old ones deliver.
    public func keep(because reason: String?) {
        current.withLockedValue { $0.keptBecause = reason }
        if let reason { health.set(.degraded, reason) }
    }

    /// Delivers until cancelled. Up to `worker` batches are in flight at once (each on its own connection); they are
    /// acknowledged in queue order, so a file's position never passes an event that has not landed.
    public func run() async {
        health.set(.healthy, "Waiting for events")
        var inFlight: [(batch: QueueBatch, task: Task<Bool, Never>)] = []
        defer { for entry in inFlight { entry.task.cancel() } }
        var unreadable = false
        var readPause = Backoff(initial: 0.05, maximum: 5)
        while !Task.isCancelled {
            let (output, settings) = current.withLockedValue { ($0.output, $0.settings) }
            if inFlight.isEmpty {
                await queue.waitForEvents()
                // A batch that is not full waits up to the flush interval for more, so a trickle does not become one
                // request per event, and a full one goes at once.
                if await queue.unread < output.batchSize {
                    let queue = self.queue
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await queue.waitForEvents(minimum: output.batchSize) }
                        group.addTask { try? await Task.sleep(for: .milliseconds(Int64(output.flushInterval * 1000))) }
                        await group.next()
                        group.cancelAll()
                    }
                }
                if Task.isCancelled { return }
            }
            // Another batch goes out beside those in flight only when a full one is waiting.
            let unread = await queue.unread
            if inFlight.isEmpty || (inFlight.count < settings.workers && unread >= output.batchSize),
               let batch = await queue.read(maximum: output.batchSize) {
                let task = Task {
                    var backoff = Backoff(initial: settings.backoffInitial, maximum: settings.backoffMaximum)
                    return await self.deliver(batch, backoff: &backoff, settings: settings)
                }
                inFlight.append((batch, task))
                continue
            }
            guard let oldest = inFlight.first else {
                // Events are waiting but none could be read (a segment that cannot be opened now: too many open
                // files, a disk gone away). They stay queued; try again after a pause instead of spinning on a
                // thread of the concurrency pool.
                if unread > 0 {
                    if !unreadable { logger.warning("The queue of output \(settings.id) cannot be read now; its events stay queued and are read again shortly") }
                    unreadable = true
                    try? await Task.sleep(for: .milliseconds(Int64(readPause.next() * 1000)))
                }
                continue
            }
            unreadable = false
            readPause.reset()
            let landed = await withTaskCancellationHandler { await oldest.task.value } onCancel: { oldest.task.cancel() }
            inFlight.removeFirst()
            guard landed else { return }
            await acknowledge(oldest.batch)
        }
    }

    /// The batch is delivered: the files' positions move past it, then the queue drops it.
    func acknowledge(_ batch: QueueBatch) async {
        var last: [String: UInt64] = [:]
        // The last event of a source in queue order is where it resumes (after a truncation that is lower).
        for event in batch.events where !event.source.isEmpty { last[event.source] = event.offset }
        for (source, offset) in last { registry.advance(source, to: offset) }
        do {
            try await queue.acknowledge(batch)
        } catch {
            logger.error("\(error.description)")
        }
    }

    /// Sends a batch until every event landed or was refused for good; `false` when stopped before that.
    func deliver(_ batch: QueueBatch, backoff: inout Backoff, settings: OutputSettings) async -> Bool {
        var pending = Array(batch.events.indices)
        var itemRetries = Backoff(initial: settings.backoffInitial, maximum: settings.backoffMaximum)
        // How many events go in one request: a batch the output finds too large is sent in halves.
        var requestSize = pending.count
        while !pending.isEmpty {
            if Task.isCancelled { return false }
            let output = current.withLockedValue { $0.output }
            requestSize = min(requestSize, output.batchSize)
            let sending = Array(pending.prefix(requestSize))
            let result: PublishResult
            do {
                result = try await output.publish(sending.map { batch.events[$0] })
            } catch {
                failedRequests.add()
                let delay = backoff.next()
                report(.failed, "\(error.description); \(pending.count) events kept, retrying in \(Int(delay.rounded(.up))) s")
                do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return false }
                continue
            }
            backoff.reset()
            if result.tooLarge {
                requestSize = max(1, sending.count / 2)
                logger.warning("Output \(id) found a request of \(sending.count) events too large; sending \(requestSize) at a time")
                continue
            }
            if !result.refused.isEmpty {
                let entries = result.refused.map { (event: batch.events[sending[$0.position]], refusal: $0) }
                do {
                    try deadLetters.write(entries, output: id)
                } catch {
                    // Without the dead-letter file the events would be lost: keep them and try again.
                    report(.failed, error.description)
                    do { try await Task.sleep(for: .seconds(5)) } catch { return false }
                    continue
                }
                refused.add(entries.count)
                logger.warning("Output \(id) refused \(entries.count) events for good (\(result.refused[0].reason)); they are in \(deadLetters.path)")
            }
            delivered.add(sending.count - result.retry.count - result.refused.count)
            let again = result.retry.map { sending[$0] }
            pending = again + pending.dropFirst(sending.count)
            if !again.isEmpty {
                let delay = itemRetries.next()
                report(.degraded, "The output asked for \(again.count) events to be sent again (too many requests or a server error); retrying in \(Int(delay.rounded(.up))) s")
                do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return false }
            }
        }
        let kept = current.withLockedValue { $0.keptBecause }
        if let kept {
            health.set(.degraded, kept)
        } else {
            let dead = refused.value
            report(.healthy, "Delivering" + (dead > 0 ? "; \(dead) events refused for good are in \(deadLetters.path)" : ""))
        }
        return true
    }

    /// Sets the health and logs it when the sentence changes, so a long outage is one line, not one per retry.
    func report(_ status: UnitHealth.Status, _ message: String) {
        let before = health.current
        health.set(status, message)
        guard before.status != status else { return }
        switch status {
        case .healthy: logger.info("Output \(id): \(message)")
        default: logger.warning("Output \(id): \(message)")
        }
    }
}
