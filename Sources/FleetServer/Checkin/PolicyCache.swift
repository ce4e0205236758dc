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
        case ready(Entry?)
        case loading(Task<Entry?, any Error>)
    }

    struct State {
        var slots: [String: Slot] = [:]
        /// Bumped by every notice, so a read that began before it is not kept.
        var generation = 0
    }

    let store: any Store
    let fleetHosts: [String]
    let maximumAge: TimeInterval
    let state = LockedBox(State())

    init(store: any Store, fleetHosts: [String], maximumAge: TimeInterval = 30) {
        self.store = store
        self.fleetHosts = fleetHosts
        self.maximumAge = maximumAge
    }

    /// The policy `id` as agents receive it, or nil when the store has no such policy.
    func entry(id: String, now: Date = Date()) async throws -> Entry? {
        let found: (ready: Entry?, task: Task<Entry?, any Error>?, generation: Int) = state.withLock { state in
            if case .ready(let entry) = state.slots[id], let entry, now.timeIntervalSince(entry.readAt) < maximumAge {
                return (entry, nil, state.generation)
            }
            if case .loading(let task) = state.slots[id] { return (nil, task, state.generation) }
            let store = store, fleetHosts = fleetHosts
            let task = Task<Entry?, any Error> {
                try await store.policy(id: id).map { try Entry(record: $0, fleetHosts: fleetHosts, readAt: Date()) }
            }
            state.slots[id] = .loading(task)
            return (nil, task, state.generation)
        }
        guard let task = found.task else { return found.ready }
        let generation = found.generation
        do {
            let entry = try await task.value
            state.withLock { state in
                // A notice that came during the read may have made it stale: then the next caller reads again.
                guard state.generation == generation, case .loading = state.slots[id] else { return }
                state.slots[id] = entry.map { .ready($0) }
            }
            return entry
        } catch {
            state.withLock { state in
                if case .loading = state.slots[id] { state.slots[id] = nil }
            }
            throw error
        }
    }

    /// Forgets what a store change makes stale; called before the check-in hub hears of the change.
    func handle(_ change: StoreChange) {
        switch change {
        case .policy(let id, _):
            state.withLock { state in
                state.generation += 1
                state.slots[id] = nil
            }
        case .unavailable:
            state.withLock { state in
                state.generation += 1
                state.slots.removeAll()
            }
        case .action, .revocation:
            break
        }
    }
}
