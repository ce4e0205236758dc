import FleetStore
import Foundation
import Logging

/// Check-in bookkeeping (last seen, status, message) kept in memory and written in one transaction every few
/// seconds: 100,000 agents checking in are a few writes a minute, not 100,000.
public final class CheckinBatcher: Sendable {
    let store: any Store
    let interval: Duration
    let pending = LockedBox<[String: CheckinRecord]>([:])
    let logger: Logger
    /// Counts the rows written, when given.
    let written: (@Sendable (Int) -> Void)?

    public init(store: any Store, interval: Duration = .seconds(2), logger: Logger, written: (@Sendable (Int) -> Void)? = nil) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.written = written
    }

    /// The latest check-in of an agent replaces an earlier one not yet written.
    public func record(_ checkin: CheckinRecord) {
        pending.withLock { $0[checkin.agentId] = checkin }
    }

    /// Writes what is pending. On failure the records are kept (newer ones win) and retried on the next flush.
    public func flush() async {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.recordCheckins(Array(batch.values))
            written?(batch.count)
        } catch {
            logger.warning("Could not write \(batch.count) check-ins to the store; will retry", metadata: ["error": "\(error)"])
            pending.withLock { pending in pending.merge(batch) { newer, _ in newer } }
        }
    }

    /// Flushes every `interval` until cancelled. The owner calls `finalFlush()` once everything has stopped.
    public func run() async {
        while (try? await Task.sleep(for: interval)) != nil {
            await flush()
        }
    }

    /// A flush that cancellation cannot cut short: the store refuses work from a cancelled task, and these
    /// check-ins would be lost at shutdown.
    public func finalFlush() async {
        await Task { await self.flush() }.value
    }
}
