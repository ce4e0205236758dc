@testable import FleetConsole
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// Upgrades from the console: one agent at once, and a rollout that never has more agents between their UPGRADE
/// action and its acknowledgement than its limit, on a real SQLite store.
@Suite(.timeLimit(.minutes(5))) struct UpgradeRolloutTests {
    /// A store with `count` agents, a release key and an agent binary for 0.2.0.
    func harness(agents count: Int) async throws -> ConsoleHarness {
        let harness = try await ConsoleHarness()
        for index in 0..<count {
            try await harness.store.createAgent(AgentRecord(
                id: "agent-\(index)", policyId: StoreSetup.defaultPolicyId, type: "PERMANENT", apiKeyId: "k\(index)", apiKeyHash: "h"
            ))
        }
        let key = MinisignSecretKey()
        try await harness.store.saveReleaseKey(ReleaseKeyRecord(publicKey: key.publicKey.fileText))
        let signature = try key.sign(Array("binary".utf8), trustedComment: "flotilla 0.2.0")
        try await harness.store.saveArtifact(ArtifactRecord(version: "0.2.0", sha256: String(repeating: "a", count: 64), size: 6, signature: signature.fileText))
        return harness
    }

    /// The agents sent an UPGRADE so far, by action.
    func upgradesSent(_ store: any Store, _ rollout: String) async throws -> [UpgradeRollout.Wave] {
        try await UpgradeRollouts(store: store, logger: Logger(label: "test")).rollouts().first { $0.id == rollout }?.waves ?? []
    }

    @Test func oneAgentIsSentAnUpgradeThatCarriesWhatItChecks() async throws {
        let harness = try await harness(agents: 1)
        try await harness.run { client in
            let sent = try await client.call(.post, "/api/fleet/agents/agent-0/upgrade", ["version": "0.2.0"])
            #expect(sent.status == .ok, "\(sent.text)")
            let unknown = try await client.call(.post, "/api/fleet/agents/agent-0/upgrade", ["version": "9.9.9"])
            #expect(unknown.status == .badRequest)
            #expect(unknown.json["message"]?.stringValue == "version: No agent binary 9.9.9 was added to this fleet: add it with flotilla server artifacts add FILE --version 9.9.9")
            let missing = try await client.call(.post, "/api/fleet/agents/agent-0/upgrade", ["versions": "0.2.0"])
            #expect(missing.status == .badRequest)
        }
        let actions = try await harness.store.actions(forAgent: "agent-0", after: 0, now: Date())
        #expect(actions.count == 1)
        let data = try JSONDecoder().decode(UpgradeActionData.self, from: Data(try #require(actions.first).data.utf8))
        #expect(data.version == "0.2.0")
        #expect(data.sha256 == String(repeating: "a", count: 64))
        #expect(data.signature?.contains("trusted comment: flotilla 0.2.0") == true)
        #expect(data.releaseKey?.publicKey.contains("minisign public key") == true)
    }

    @Test func aRolloutKeepsToItsLimitAndReleasesAsAgentsAnswer() async throws {
        let harness = try await harness(agents: 5)
        try await harness.run { client in
            let started = try await client.call(.post, "/api/fleet/agents/bulk_upgrade", [
                "version": "0.2.0", "agents": "", "max_concurrent": 2,
            ])
            #expect(started.status == .ok, "\(started.text)")
            let bad = try await client.call(.post, "/api/fleet/agents/bulk_upgrade", ["version": "0.2.0", "agents": ["agent-0", "nobody"]])
            #expect(bad.json["message"]?.stringValue == "agents: nobody is not an enrolled agent")
            let negative = try await client.call(.post, "/api/fleet/agents/bulk_upgrade", ["version": "0.2.0", "agents": "", "max_concurrent": 0])
            #expect(negative.status == .badRequest)
            #expect(started.json["actionId"]?.stringValue != nil)
        }
        let rollouts = UpgradeRollouts(store: harness.store, logger: Logger(label: "test"))
        // The refused requests started nothing: one rollout.
        let all = try await rollouts.rollouts()
        #expect(all.count == 1)
        let rolloutId = try #require(all.first?.id)
        var waves = try await upgradesSent(harness.store, rolloutId)
        #expect(waves.map(\.agentIds.count) == [2])
        // Nobody answered: nothing more goes out however often it ticks.
        try await rollouts.tick()
        try await rollouts.tick()
        #expect(try await upgradesSent(harness.store, rolloutId).map(\.agentIds.count) == [2])
        // One answers (a failure counts as an answer): one more goes.
        try await harness.store.recordResults([ActionResultRecord(actionId: waves[0].actionId, agentId: waves[0].agentIds[0], error: "it failed")])
        try await rollouts.tick()
        waves = try await upgradesSent(harness.store, rolloutId)
        #expect(waves.map(\.agentIds.count) == [2, 1])
        var answered = 1
        while answered < 5 {
            for wave in waves {
                try await harness.store.recordResults(wave.agentIds.map { ActionResultRecord(actionId: wave.actionId, agentId: $0) })
            }
            try await rollouts.tick()
            waves = try await upgradesSent(harness.store, rolloutId)
            let sent = waves.reduce(0) { $0 + $1.agentIds.count }
            let finished = waves.reduce(0) { $0 + $1.finished.count }
            #expect(sent - finished <= 2)
            answered = finished
        }
        #expect(Set(waves.flatMap(\.agentIds)).count == 5)
        let listed = try await rollouts.rollouts()
        #expect(listed.first?.isDone == true)
    }

    @Test func twoConsolesOnOneStoreSendEachWaveOnce() async throws {
        let harness = try await harness(agents: 4)
        try await harness.run { client in
            let started = try await client.call(.post, "/api/fleet/agents/bulk_upgrade", ["version": "0.2.0", "agents": "", "max_concurrent": 2])
            #expect(started.status == .ok, "\(started.text)")
        }
        let first = UpgradeRollouts(store: harness.store, logger: Logger(label: "one"))
        let second = UpgradeRollouts(store: harness.store, logger: Logger(label: "two"))
        let stale = try #require(try await second.rollouts().first)
        // The first wave is answered; the first console sends the second wave.
        let wave = try #require(stale.waves.first)
        try await harness.store.recordResults(wave.agentIds.map { ActionResultRecord(actionId: wave.actionId, agentId: $0) })
        try await first.tick()
        // The second console writes back what it read before that (a stale rollout), then ticks: it adopts the
        // wave already sent instead of sending another.
        try await second.save(stale)
        try await second.tick()
        var upgrades = 0
        for index in 0..<4 {
            upgrades += try await harness.store.actions(forAgent: "agent-\(index)", after: 0, now: Date()).filter { $0.type == "UPGRADE" }.count
        }
        #expect(upgrades == 4)
        let waves = try #require(try await first.rollouts().first).waves
        #expect(waves.map(\.agentIds.count) == [2, 2])
    }

    @Test func aRolloutOverAWindowReleasesAShareAtATime() {
        let start = Date()
        let rollout = UpgradeRollout(
            id: "r", version: "0.2.0", pending: (0..<10).map { "a\($0)" }, waves: [], total: 10, maxConcurrent: 10,
            startAt: start, duration: 100, createdBy: "admin"
        )
        #expect(rollout.dueNow(start.addingTimeInterval(-1)) == 0)
        #expect(rollout.dueNow(start.addingTimeInterval(25)) == 3)
        #expect(rollout.dueNow(start.addingTimeInterval(100)) == 10)
    }
}
