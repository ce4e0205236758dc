import FleetStore
import FleetTLS
import Foundation

/// `flotilla server init` and `flotilla server tokens`: what an empty store needs, and enrollment tokens.
public enum StoreSetup {
    public static let fleetServerPolicyId = "fleet-server-policy"
    public static let defaultPolicyId = "default-policy"

    public struct Initialized: Sendable {
        public var serviceToken: String
        public var enrollmentToken: String
        public var fleetServerPolicyId: String
        public var agentPolicyId: String
    }

    /// The default agent policy's first body: one Elasticsearch output on this machine, no inputs.
    public static let defaultPolicyBody = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://localhost:9200"]}},"inputs":[]}"#

    /// Prepares an empty store. Refuses a store that already has policies, so secrets are never made twice.
    /// - Parameter agentPolicyBody: the default agent policy's first body.
    public static func initialize(_ store: any Store, agentPolicyBody: String = defaultPolicyBody) async throws -> Initialized {
        guard try await store.policies().isEmpty else {
            throw FlotillaError("The store is already initialized", hint: "make more enrollment tokens with flotilla server tokens create")
        }
        try await store.savePolicy(PolicyRecord(id: fleetServerPolicyId, name: "Fleet Server policy", isFleetServerPolicy: true, body: #"{"inputs":[{"type":"fleet-server"}]}"#))
        try await store.savePolicy(PolicyRecord(id: defaultPolicyId, name: "Default agent policy", body: agentPolicyBody))
        let serviceToken = Secrets.random()
        try await store.addServiceToken(name: "fleet-server-default", secretHash: Secrets.hash(serviceToken))
        let enrollment = try await createEnrollmentToken(store, policyId: defaultPolicyId, name: "default")
        return Initialized(serviceToken: serviceToken, enrollmentToken: enrollment.secret, fleetServerPolicyId: fleetServerPolicyId, agentPolicyId: defaultPolicyId)
    }

    /// A new enrollment token for `policyId`; the secret is returned once and only its hash is stored.
    public static func createEnrollmentToken(
        _ store: any Store, policyId: String, name: String, expiresAt: Date? = nil, maxUses: Int? = nil
    ) async throws -> (record: EnrollmentTokenRecord, secret: String) {
        guard try await store.policy(id: policyId) != nil else {
            throw FlotillaError("There is no policy \(policyId)", hint: "list policies with flotilla server tokens list")
        }
        let secret = Secrets.random()
        let record = EnrollmentTokenRecord(
            id: Secrets.identifier(), name: name, policyId: policyId, secretHash: Secrets.hash(secret), expiresAt: expiresAt, maxUses: maxUses
        )
        try await store.createEnrollmentToken(record)
        return (record, secret)
    }
}
