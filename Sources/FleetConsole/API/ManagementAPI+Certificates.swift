import FleetStore
import FleetTLS
import Foundation

extension ManagementAPI {
    /// Moves the agent CA rotation on a phase, with the store's checks; audited.
    func advanceRotation(force: Bool, by identity: ConsoleIdentity) async throws -> AgentCARotation {
        let rotation: AgentCARotation
        do { rotation = try await store.advanceAgentCARotation(force: force) } catch let error as FlotillaError {
            throw ConsoleError.badRequest(error.description)
        }
        try await audit(identity, "agent_ca.rotate", "phase \(rotation.phase.number)", detail: rotation.phase.rawValue + (force ? " (forced)" : ""))
        return rotation
    }

    /// Moves the rotation back a phase, or ends it from the first; audited.
    func rollBackRotation(by identity: ConsoleIdentity) async throws -> AgentCARotation? {
        let rotation: AgentCARotation?
        do { rotation = try await store.rollBackAgentCARotation() } catch let error as FlotillaError {
            throw ConsoleError.badRequest(error.description)
        }
        try await audit(identity, "agent_ca.rollback", rotation.map { "phase \($0.phase.number)" } ?? "none", detail: rotation?.phase.rawValue ?? "rotation ended")
        return rotation
    }

    /// Tells every active agent to renew now (phase 2); audited. Returns how many.
    func renewAllForRotation(by identity: ConsoleIdentity) async throws -> Int {
        let count: Int
        do { count = try await store.renewAllForAgentCARotation() } catch let error as FlotillaError {
            throw ConsoleError.badRequest(error.description)
        }
        try await audit(identity, "agent_ca.renew_all", "\(count) agents", detail: "")
        return count
    }
}
