/// Announces store changes on `changes` once each, whoever committed them: this process (at once) or another
/// (when a watcher finds them). Positions are the newest revision per policy and the newest action sequence.
final class ChangeAnnouncer: Sendable {
    let changes: StoreChanges
    let announced = LockedBox(Positions())

    struct Positions {
        var actionSequence: Int64 = 0
        var revisions: [String: Int] = [:]
        /// How many issued certificates are revoked: a higher count is news.
        var revocations: Int = 0
    }

    init(changes: StoreChanges) {
        self.changes = changes
    }

    /// Where to start: what the store held when it was opened is not news.
    func start(at positions: Positions) {
        announced.withLock { $0 = positions }
    }

    var actionSequence: Int64 { announced.withLock { $0.actionSequence } }

    func announce(_ change: StoreChange) {
        let isNew = announced.withLock { known -> Bool in
            switch change {
            case .policy(let id, let revision):
                guard revision > known.revisions[id] ?? 0 else { return false }
                known.revisions[id] = revision
            case .action(let sequence, _):
                guard sequence > known.actionSequence else { return false }
                known.actionSequence = sequence
            case .unavailable, .revocation:
                break
            }
            return true
        }
        if isNew { changes.publish(change) }
    }

    /// Announces `.revocation` when more certificates are revoked than last seen.
    func announce(revocations: Int) {
        let isNew = announced.withLock { known -> Bool in
            guard revocations > known.revocations else { return false }
            known.revocations = revocations
            return true
        }
        if isNew { changes.publish(.revocation) }
    }

    /// Announces what a watcher read: every policy's revision, and action targets newer than the last position.
    func announce(policies: [(id: String, revision: Int)], targets: [(sequence: Int64, agentId: String)]) {
        for policy in policies { announce(.policy(id: policy.id, revision: policy.revision)) }
        for (sequence, rows) in Dictionary(grouping: targets, by: \.sequence).sorted(by: { $0.key < $1.key }) {
            announce(.action(sequence: sequence, agentIds: rows.map(\.agentId)))
        }
    }
}
