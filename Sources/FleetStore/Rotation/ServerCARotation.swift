import FleetTLS
import Foundation
import X509

/// A rotation of the CA that signs the Fleet Servers' own certificates, kept in the store so every Fleet Server on
/// it follows the same phase. Only the new CA's certificate is kept: its key stays wherever the operator made the
/// Fleet Servers' new certificates with it.
public struct ServerCARotation: Codable, Sendable, Equatable {
    /// The phases, in order; each can be rolled back to the one before.
    public enum Phase: String, Codable, RotationPhase {
        /// 1: agents are sent the new CA beside the old one, in their policies' `fleet.ssl.certificate_authorities`.
        case distribute
        /// 2: Fleet Servers given a certificate from the new CA (`--fleet-server-next-cert`) present it.
        case presentNew = "present-new"
        /// 3: agents are sent only the new CA: the rotation is complete.
        case retireOld = "retire-old"

        public var summary: String {
            switch self {
            case .distribute: "agents are sent the new Fleet Server CA beside the old one"
            case .presentNew: "Fleet Servers present their certificates from the new CA"
            case .retireOld: "agents trust only the new Fleet Server CA; the rotation is complete"
            }
        }
    }

    public var phase: Phase
    /// PEM of the CA agents check Fleet Servers with now.
    public var previousCertificate: String
    /// PEM of the new CA.
    public var nextCertificate: String
    /// The policy revisions that first carried this phase's CAs: an agent running one has them.
    public var revisions: [String: Int]
    public var startedAt: Date
    public var changedAt: Date

    public init(phase: Phase, previousCertificate: String, nextCertificate: String, revisions: [String: Int] = [:], startedAt: Date = Date()) {
        self.phase = phase
        self.previousCertificate = previousCertificate
        self.nextCertificate = nextCertificate
        self.revisions = revisions
        self.startedAt = startedAt
        changedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case phase, previousCertificate = "previous_certificate", nextCertificate = "next_certificate", revisions
        case startedAt = "started_at", changedAt = "changed_at"
    }

    /// The CAs agents are sent in this phase, as PEM.
    public var agentTrust: [String] {
        phase == .retireOld ? [nextCertificate] : [previousCertificate, nextCertificate]
    }

    /// A policy body (JSON text) with this phase's CAs as `fleet.ssl.certificate_authorities`: what agents check
    /// Fleet Servers with. The CAs travel in the policy itself, so every Fleet Server hands out the same ones from
    /// the moment the revision is saved, and the console keeps them when it composes a policy again.
    public func applied(toPolicyBody body: String) -> String {
        var object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        var fleet = object["fleet"] as? [String: Any] ?? [:]
        var ssl = fleet["ssl"] as? [String: Any] ?? [:]
        ssl["certificate_authorities"] = agentTrust
        fleet["ssl"] = ssl
        object["fleet"] = fleet
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return body }
        return String(decoding: data, as: UTF8.self)
    }

    static let kind = "server-ca-rotation"

    /// How far the fleet is: active agents that run a policy revision carrying this phase's CAs, and those that
    /// have checked in since the phase began (they reached a Fleet Server as it is now).
    public struct Progress: Sendable, Equatable, Codable {
        public var active = 0
        public var trusting = 0
        public var checkedInSincePhase = 0

        enum CodingKeys: String, CodingKey {
            case active, trusting, checkedInSincePhase = "checked_in_since_phase"
        }
    }
}

extension Store {
    public func serverCARotation() async throws -> ServerCARotation? {
        try await rotationRecord(ServerCARotation.self, kind: ServerCARotation.kind)
    }

    func saveServerCARotation(_ rotation: ServerCARotation) async throws {
        try await saveRotationRecord(rotation, kind: ServerCARotation.kind)
    }

    /// Every agent policy gets a new revision, so every agent is sent the CAs of the phase now in force; the new
    /// revisions are remembered, to count the agents that run one.
    func republishPolicies(for rotation: inout ServerCARotation) async throws {
        rotation.revisions = [:]
        for var policy in try await policies() {
            policy.body = rotation.applied(toPolicyBody: policy.body)
            rotation.revisions[policy.id] = try await savePolicy(policy).revision
        }
    }

    /// Starts a rotation to `next` from `previous` (both PEM): phase 1, every agent sent both CAs.
    public func startServerCARotation(previous: String, next: String, now: Date = Date()) async throws -> ServerCARotation {
        if let existing = try await serverCARotation(), existing.phase != .retireOld {
            throw FlotillaError("A Fleet Server CA rotation is already in phase \(existing.phase.number) (\(existing.phase.rawValue))", hint: "finish it or roll it back first")
        }
        for (pem, flag) in [(previous, "--fleet-ca"), (next, "--next-fleet-ca")] {
            guard let certificate = try? Certificate(pemEncoded: pem), certificate.isCertificateAuthority else {
                throw FlotillaError("The certificate given with \(flag) is not a CA certificate", hint: "give the CA's .crt file, made with flotilla certs ca")
            }
        }
        var rotation = ServerCARotation(phase: .distribute, previousCertificate: previous, nextCertificate: next, startedAt: now)
        // Saved first, so a console composing a policy meanwhile keeps both CAs in it.
        try await saveServerCARotation(rotation)
        try await republishPolicies(for: &rotation)
        try await saveServerCARotation(rotation)
        return rotation
    }

    public func progress(of rotation: ServerCARotation) async throws -> ServerCARotation.Progress {
        var progress = ServerCARotation.Progress()
        for agent in try await agents() where agent.unenrolledAt == nil && !agent.apiKeyRevoked {
            progress.active += 1
            if let wanted = rotation.revisions[agent.policyId], (agent.policyRevision ?? 0) >= wanted { progress.trusting += 1 }
            if let last = agent.lastCheckinAt, last >= rotation.changedAt { progress.checkedInSincePhase += 1 }
        }
        return progress
    }

    /// Moves on a phase. Presenting the new certificate waits until every active agent runs a revision with both
    /// CAs; retiring the old CA until every active agent has checked in since the new certificates were presented.
    /// `force` skips the wait (an agent left behind is cut off until it is given the new CA).
    public func advanceServerCARotation(force: Bool = false, now: Date = Date()) async throws -> ServerCARotation {
        guard var rotation = try await serverCARotation() else {
            throw FlotillaError("No Fleet Server CA rotation is in progress", hint: "start one with flotilla server ca server-rotate start")
        }
        guard let next = rotation.phase.next else {
            throw FlotillaError("The Fleet Server CA rotation is complete (phase 3, retire-old)", hint: "start the next one when the time comes")
        }
        let progress = try await progress(of: rotation)
        if !force, next == .presentNew, progress.trusting < progress.active {
            let behind = progress.active - progress.trusting
            throw FlotillaError(
                "\(behind) active agent\(behind == 1 ? " does" : "s do") not run a policy with the new Fleet Server CA yet, so a certificate from it would cut \(behind == 1 ? "it" : "them") off",
                hint: "wait until they check in (flotilla server ca server-rotate status), or force it (--force)"
            )
        }
        if !force, next == .retireOld, progress.checkedInSincePhase < progress.active {
            let behind = progress.active - progress.checkedInSincePhase
            throw FlotillaError(
                "\(behind) active agent\(behind == 1 ? " has" : "s have") not checked in since the Fleet Servers moved to their new certificates",
                hint: "wait until they do, or force it (--force)"
            )
        }
        rotation.phase = next
        rotation.changedAt = now
        try await saveServerCARotation(rotation)
        if next == .retireOld {
            try await republishPolicies(for: &rotation)
            try await saveServerCARotation(rotation)
        }
        return rotation
    }

    /// Goes back a phase; from the first, ends the rotation (agents keep trusting both CAs until told otherwise).
    public func rollBackServerCARotation(now: Date = Date()) async throws -> ServerCARotation? {
        guard var rotation = try await serverCARotation() else {
            throw FlotillaError("No Fleet Server CA rotation is in progress", hint: "flotilla server ca server-rotate status shows it")
        }
        guard let previous = rotation.phase.previous else {
            _ = try await deleteRotationRecord(kind: ServerCARotation.kind)
            return nil
        }
        let wasRetired = rotation.phase == .retireOld
        rotation.phase = previous
        rotation.changedAt = now
        try await saveServerCARotation(rotation)
        // Out of phase 3, agents are sent both CAs again.
        if wasRetired {
            try await republishPolicies(for: &rotation)
            try await saveServerCARotation(rotation)
        }
        return rotation
    }
}
