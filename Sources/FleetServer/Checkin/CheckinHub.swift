import FleetStore
import Foundation

/// Waiting check-ins, woken by store changes.
///
/// A waiting agent costs one small entry: no thread, no timer of its own, no store query while it waits. A policy
/// change wakes every agent waiting on that policy at once; an action wakes only its agents. Deadlines sit in
/// one-second buckets that a single sweeper empties, so 100,000 waiting agents cost memory, not CPU.
public final class CheckinHub: Sendable {
    public enum Wake: Sendable, Equatable {
        /// Something changed for this agent (an action, say): look again.
        case changed
        /// Only the agent's policy changed: the policy cache has the new revision, and there are no new actions to
        /// read (an action also coming wakes it as `.changed`, or its next check-in finds it).
        case policyChanged
        /// The poll timeout passed: answer "nothing new".
        case timeout
        /// The server is stopping: answer "nothing new" now.
        case shutdown
    }

    /// One waiting check-in. Register before looking in the store, then wait: a change that lands in between
    /// is not lost, because it fires the ticket before `wait()` is called.
    public final class Ticket: Sendable {
        let id: UInt64
        let hub: CheckinHub

        init(id: UInt64, hub: CheckinHub) {
            self.id = id
            self.hub = hub
        }

        /// Waits until a change, the deadline or shutdown.
        public func wait() async -> Wake {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    hub.park(self, continuation)
                }
            } onCancel: {
                hub.fire([id], with: .timeout)
            }
        }

        /// Leaves the hub without waiting (the store already had something new).
        public func cancel() {
            hub.remove(id)
        }
    }

    enum Slot {
        case registered
        case fired(Wake)
        case parked(CheckedContinuation<Wake, Never>)
    }

    struct Entry {
        let agentId: String
        let policyId: String
        let deadlineSecond: Int
        var slot: Slot
    }

    struct State {
        var nextId: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var byPolicy: [String: Set<UInt64>] = [:]
        var byAgent: [String: Set<UInt64>] = [:]
        var byDeadline: [Int: [UInt64]] = [:]
        /// When each policy's last change was heard, to time its fan-out.
        var policyChangedAt: [String: ContinuousClock.Instant] = [:]
        var stopping = false
    }

    let state = LockedBox(State())

    public init() {}

    /// Check-ins parked now: registered, looked in the store, found nothing, and waiting.
    public var waitingCount: Int {
        state.withLock { $0.entries.values.count { if case .parked = $0.slot { true } else { false } } }
    }

    public func register(agentId: String, policyId: String, deadline: Date) -> Ticket {
        let second = Int(deadline.timeIntervalSince1970.rounded(.up))
        let id: UInt64 = state.withLock { state in
            state.nextId += 1
            let id = state.nextId
            state.entries[id] = Entry(agentId: agentId, policyId: policyId, deadlineSecond: second, slot: state.stopping ? .fired(.shutdown) : .registered)
            state.byPolicy[policyId, default: []].insert(id)
            state.byAgent[agentId, default: []].insert(id)
            state.byDeadline[second, default: []].append(id)
            return id
        }
        return Ticket(id: id, hub: self)
    }

    func park(_ ticket: Ticket, _ continuation: CheckedContinuation<Wake, Never>) {
        let firedAlready: Wake? = state.withLock { state in
            guard let entry = state.entries[ticket.id] else { return .timeout }
            if case .fired(let wake) = entry.slot {
                Self.removeEntry(ticket.id, from: &state)
                return wake
            }
            state.entries[ticket.id]?.slot = .parked(continuation)
            return nil
        }
        if let firedAlready { continuation.resume(returning: firedAlready) }
    }

    func remove(_ id: UInt64) {
        state.withLock { state in Self.removeEntry(id, from: &state) }
    }

    /// Fires tickets: parked ones resume now, registered ones on their `wait()`.
    func fire(_ ids: some Sequence<UInt64>, with wake: Wake) {
        let resumable: [CheckedContinuation<Wake, Never>] = state.withLock { state in
            var resumable: [CheckedContinuation<Wake, Never>] = []
            for id in ids {
                guard let entry = state.entries[id] else { continue }
                switch entry.slot {
                case .registered:
                    state.entries[id]?.slot = .fired(wake)
                case .parked(let continuation):
                    resumable.append(continuation)
                    Self.removeEntry(id, from: &state)
                case .fired(.policyChanged) where wake == .changed:
                    state.entries[id]?.slot = .fired(.changed)
                case .fired:
                    break
                }
            }
            return resumable
        }
        for continuation in resumable { continuation.resume(returning: wake) }
    }

    static func removeEntry(_ id: UInt64, from state: inout State) {
        guard let entry = state.entries.removeValue(forKey: id) else { return }
        state.byPolicy[entry.policyId]?.remove(id)
        if state.byPolicy[entry.policyId]?.isEmpty == true { state.byPolicy[entry.policyId] = nil }
        state.byAgent[entry.agentId]?.remove(id)
        if state.byAgent[entry.agentId]?.isEmpty == true { state.byAgent[entry.agentId] = nil }
        // The deadline bucket keeps the stale id; the sweeper skips ids that are gone.
    }

    /// A store change: wakes whoever it concerns.
    public func handle(_ change: StoreChange) {
        switch change {
        case .policy(let id, _):
            fire(state.withLock { state in
                state.policyChangedAt[id] = .now
                return state.byPolicy[id] ?? []
            }, with: .policyChanged)
        case .action(_, let agentIds):
            fire(state.withLock { state in agentIds.flatMap { state.byAgent[$0] ?? [] } }, with: .changed)
        case .unavailable:
            fire(state.withLock { Array($0.entries.keys) }, with: .shutdown)
        case .revocation:
            break  // the revocation list closes connections; waiting check-ins are not news
        }
    }

    /// When the last change of policy `id` was heard.
    public func policyChangedAt(_ id: String) -> ContinuousClock.Instant? {
        state.withLock { $0.policyChangedAt[id] }
    }

    /// Times out every check-in whose deadline is at or before `now`.
    public func expire(now: Date = Date()) {
        let second = Int(now.timeIntervalSince1970)
        let due: [UInt64] = state.withLock { state in
            let seconds = state.byDeadline.keys.filter { $0 <= second }
            return seconds.flatMap { state.byDeadline.removeValue(forKey: $0) ?? [] }
        }
        fire(due, with: .timeout)
    }

    /// Answers every waiting check-in with "nothing new"; later check-ins return at once.
    public func shutdown() {
        let all: [UInt64] = state.withLock { state in
            state.stopping = true
            return Array(state.entries.keys)
        }
        fire(all, with: .shutdown)
    }

    /// The sweeper: expires deadlines once a second until cancelled.
    public func runSweeper() async {
        while !Task.isCancelled {
            expire()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
