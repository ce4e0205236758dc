import FleetProtocol
import FleetStore
import Foundation
import Logging
import ServiceLifecycle

/// Releases the waves of every rollout in the store: every two seconds, the agents whose turn has come and for
/// whom there is room under the rollout's limit get an UPGRADE action.
struct UpgradeRollouts: Service {
    static let kind = "upgrade_rollout"
    let store: any Store
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do { try await tick() } catch {
                logger.warning("Upgrade rollouts could not be advanced: \(error)")
            }
            try? await Task.sleep(for: .seconds(2))
        }
    }

    /// Every rollout in the store.
    func rollouts() async throws -> [UpgradeRollout] {
        try await store.objects(kind: Self.kind, as: UpgradeRollout.self)
    }

    func save(_ rollout: UpgradeRollout) async throws {
        try await store.saveObject(rollout, kind: Self.kind, id: rollout.id)
    }

    /// Marks what agents answered, then releases what is due, for every unfinished rollout.
    func tick(now: Date = Date()) async throws {
        for var rollout in try await rollouts() where !rollout.isDone {
            for index in rollout.waves.indices where rollout.waves[index].finished.count < rollout.waves[index].agentIds.count {
                let answered = Set(try await store.results(actionId: rollout.waves[index].actionId).map(\.agentId))
                rollout.waves[index].finished = rollout.waves[index].agentIds.filter(answered.contains)
            }
            let due = rollout.dueNow(now)
            if due > 0 {
                // Each wave's action id follows from the rollout's, and action ids are unique in the store: two
                // consoles on one store cannot both send a wave, and one adopts the wave the other sent.
                let waveId = "\(rollout.id)-wave-\(rollout.waves.count)"
                var agents = Array(rollout.pending.prefix(due))
                if let sent = try await store.action(id: waveId) {
                    agents = sent.agentIds
                } else {
                    var action = try await store.upgradeAction(
                        version: rollout.version, agentIds: agents, sourceURI: rollout.sourceURI, sourceSSL: rollout.sourceSSL
                    )
                    action.id = waveId
                    _ = try await store.addAction(action)
                    logger.info("Rollout \(rollout.id): sent \(rollout.version) to \(agents.count) agents")
                }
                rollout.pending.removeAll(where: agents.contains)
                rollout.waves.append(.init(actionId: waveId, agentIds: agents, sentAt: now))
            }
            try await save(rollout)
        }
    }
}
