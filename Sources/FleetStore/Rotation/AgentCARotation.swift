import FleetTLS
import Foundation

/// A rotation of the agent CA in progress, kept in the store so every Fleet Server on it follows the same phase.
///
/// The new CA's key travels in the store encrypted (PKCS#8, PBES2) with the passphrase of the Fleet Servers' own
/// agent CA key, so any Fleet Server that can sign today can sign with the new CA, and the store alone cannot.
public struct AgentCARotation: Codable, Sendable, Equatable {
    /// The phases, in order; each can be rolled back to the one before.
    public enum Phase: String, Codable, RotationPhase {
        /// 1: client certificates from both CAs are trusted; certificates are still issued by the old one.
        case trustBoth = "trust-both"
        /// 2: certificates are issued by the new CA; agents move onto it as they renew (or all at once).
        case issueNew = "issue-new"
        /// 3: the old CA is no longer trusted: the rotation is complete.
        case retireOld = "retire-old"

        /// What the phase does, for `flotilla server ca status` and the console.
        public var summary: String {
            switch self {
            case .trustBoth: "Fleet Servers trust agent certificates from both CAs; the old CA still issues them"
            case .issueNew: "the new CA issues every certificate; agents move onto it as they renew"
            case .retireOld: "only the new CA is trusted; the rotation is complete"
            }
        }
    }

    public var phase: Phase
    /// PEM of the CA being replaced.
    public var previousCertificate: String
    /// PEM of the new CA.
    public var nextCertificate: String
    /// The new CA's key, encrypted PKCS#8 PEM.
    public var nextKey: String
    /// The old CA's key, when it came from an earlier rotation rather than the Fleet Servers' --agent-ca.
    public var previousKey: String?
    public var startedAt: Date
    public var changedAt: Date

    public init(
        phase: Phase, previousCertificate: String, nextCertificate: String, nextKey: String, previousKey: String? = nil,
        startedAt: Date = Date()
    ) {
        self.previousKey = previousKey
        self.phase = phase
        self.previousCertificate = previousCertificate
        self.nextCertificate = nextCertificate
        self.nextKey = nextKey
        self.startedAt = startedAt
        changedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case phase, previousCertificate = "previous_certificate", nextCertificate = "next_certificate"
        case nextKey = "next_key", previousKey = "previous_key", startedAt = "started_at", changedAt = "changed_at"
    }

    static let kind = "agent-ca-rotation"
}

extension Store {
    /// The agent CA rotation in progress (or completed), if any.
    public func agentCARotation() async throws -> AgentCARotation? {
        try await rotationRecord(AgentCARotation.self, kind: AgentCARotation.kind)
    }

    public func saveAgentCARotation(_ rotation: AgentCARotation) async throws {
        try await saveRotationRecord(rotation, kind: AgentCARotation.kind)
    }

    /// Ends a rotation rolled back past its first phase: the configured agent CA alone is in force again.
    @discardableResult
    public func deleteAgentCARotation() async throws -> Bool {
        try await deleteRotationRecord(kind: AgentCARotation.kind)
    }
}

extension Store {
    /// Moves the rotation to its next phase. Retiring the old CA is refused while active agents are still on it,
    /// unless `force` (they then renew over their API key within the grace).
    /// - Returns: the rotation as saved.
    public func advanceAgentCARotation(force: Bool = false, now: Date = Date()) async throws -> AgentCARotation {
        guard var rotation = try await agentCARotation() else {
            throw FlotillaError("No agent CA rotation is in progress", hint: "start one with flotilla server ca rotate start")
        }
        guard let next = rotation.phase.next else {
            throw FlotillaError("The rotation is complete (phase 3, retire-old)", hint: "start the next one with flotilla server ca rotate start")
        }
        let progress = try await progress(of: rotation, now: now)
        if next == .retireOld, progress.onOldCA > 0, !force {
            throw FlotillaError(
                "\(progress.onOldCA) active agent\(progress.onOldCA == 1 ? " is" : "s are") still on the old CA, which phase 3 stops trusting",
                hint: "wait for them to renew, hurry them with renew-all, or retire it anyway (--force; in the console, Retire anyway)"
            )
        }
        rotation.phase = next
        rotation.changedAt = now
        try await saveAgentCARotation(rotation)
        return rotation
    }

    /// Goes back one phase; from the first, ends the rotation (nil): the configured CA alone is in force again.
    public func rollBackAgentCARotation(now: Date = Date()) async throws -> AgentCARotation? {
        guard var rotation = try await agentCARotation() else {
            throw FlotillaError("No agent CA rotation is in progress", hint: "flotilla server ca status shows it")
        }
        guard let previous = rotation.phase.previous else {
            try await deleteAgentCARotation()
            return nil
        }
        rotation.phase = previous
        rotation.changedAt = now
        try await saveAgentCARotation(rotation)
        return rotation
    }

    /// Tells every active agent to renew now, in phase 2: one CERTIFICATE_RENEW action. Returns how many.
    public func renewAllForAgentCARotation(now: Date = Date()) async throws -> Int {
        guard let rotation = try await agentCARotation(), rotation.phase == .issueNew else {
            throw FlotillaError("Renewing every agent moves them onto the new CA only in phase 2 (issue-new)", hint: "move there first")
        }
        let agents = try await agents().filter { $0.unenrolledAt == nil && !$0.apiKeyRevoked }.map(\.id)
        guard !agents.isEmpty else { return 0 }
        _ = try await addAction(ActionRecord(
            id: "renew-\(Secrets.identifier())", type: "CERTIFICATE_RENEW", agentIds: agents, createdAt: now,
            expiresAt: now.addingTimeInterval(7 * 86_400)
        ))
        return agents.count
    }
}
