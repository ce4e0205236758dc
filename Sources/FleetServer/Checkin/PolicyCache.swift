import FleetProtocol
import FleetStore
import Foundation

/// The policies agents receive, read from the store once per revision and kept ready to send.
///
/// A policy change wakes every agent waiting on that policy at once; without the cache each of them would read the
/// policy from the store and encode it again. The store's change notice empties an entry before the check-in hub
/// wakes anyone, so the first woken agent reads the new revision and the others wait for that same read. An entry
/// is also read again after `maximumAge`, in case a notice was missed (a PostgreSQL listener reconnecting).
final class PolicyCache: Sendable {
    /// One revision of a policy, with its POLICY_CHANGE action and the check-in responses that carry it.
    final class Entry: Sendable {
        let record: PolicyRecord
        let action: Action
        let withAckToken: CheckinResponseTemplate
        let withoutAckToken: CheckinResponseTemplate
        let readAt: Date

        init(record: PolicyRecord, fleetHosts: [String], readAt: Date) throws {
            self.record = record
            action = .policyChange(
                id: PolicyBuilder.actionId(policyId: record.id, revision: record.revision), agentID: "",
                createdAt: RFC3339.string(from: record.updatedAt), policy: PolicyBuilder.agentPolicy(record, fleetHosts: fleetHosts)
            )
            withAckToken = try CheckinResponseTemplate(action: action, withAckToken: true)
            withoutAckToken = try CheckinResponseTemplate(action: action, withAckToken: false)
            self.readAt = readAt
        }

        /// The POLICY_CHANGE action addressed to one agent.
        func action(for agentId: String) -> Action {
            var action = action
            action.agentID = agentId
            return action
        }
    }

    enum Slot {
        case ready(Entry)
        case loading(Task<Entry?, any Error>)
    }

    let store: any Store
    let fleetHosts: [String]
    let maximumAge: TimeInterval
    /// Each policy's entry, or the read under way. A notice removes the slot, so a read finds its own task still
    /// there only if no notice came meanwhile.
    let slots = LockedBox<[String: Slot]>([:])

    init(store: any Store, fleetHosts: [String], maximumAge: TimeInterval = 30) {
        self.store = store
        self.fleetHosts = fleetHosts
        self.maximumAge = maximumAge
    }

    /// The policy `id` as agents receive it, or nil when the store has no such policy.
    func entry(id: String, now: Date = Date()) async throws -> Entry? {
        // A fresh entry is the common case (every check-in's look): no task for it.
        let slot: Slot = slots.withLock { slots in
            switch slots[id] {
            case .ready(let entry) where now.timeIntervalSince(entry.readAt) < maximumAge:
                return .ready(entry)
            case .loading(let task):
                return .loading(task)
            default:
                let store = store, fleetHosts = fleetHosts
                let task = Task<Entry?, any Error> {
                    try await store.policy(id: id).map { try Entry(record: $0, fleetHosts: fleetHosts, readAt: Date()) }
                }
                slots[id] = .loading(task)
                return .loading(task)
            }
        }
        let task: Task<Entry?, any Error>
        switch slot {
        case .ready(let entry): return entry
        case .loading(let loading): task = loading
        }
        let result = await task.result
        slots.withLock { slots in
            // Kept only if this read is still the one in the slot: a notice meanwhile made it stale.
            guard case .loading(let current) = slots[id], current == task else { return }
            slots[id] = (try? result.get())?.map { .ready($0) }
        }
        return try result.get()
    }

    /// Forgets what a store change makes stale; called before the check-in hub hears of the change.
    func handle(_ change: StoreChange) {
        switch change {
        case .policy(let id, _):
            slots.withLock { $0[id] = nil }
        case .unavailable:
            slots.withLock { $0.removeAll() }
        case .action, .revocation:
            break
        }
    }
}
