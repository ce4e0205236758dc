import FleetProtocol
import FleetStore
import Foundation

/// The full policy an agent receives in a POLICY_CHANGE action: the stored body with `id` and `revision`, and a
/// `fleet` section that always names the Fleet Server hosts.
enum PolicyBuilder {
    static func agentPolicy(_ policy: PolicyRecord, fleetHosts: [String]) -> JSONValue {
        var body = (try? JSONValue(data: Data(policy.body.utf8))) ?? .object([:])
        if body.objectValue == nil { body = .object([:]) }
        body["id"] = .string(policy.id)
        body["revision"] = .number(Double(policy.revision))
        if body["outputs"] == nil { body["outputs"] = .object([:]) }
        if body["inputs"] == nil { body["inputs"] = .array([]) }
        var fleet = body["fleet"] ?? .object([:])
        if fleet["hosts"] == nil { fleet["hosts"] = .array(fleetHosts.map { .string($0) }) }
        if fleet["ssl"] == nil { fleet["ssl"] = .object([:]) }
        body["fleet"] = fleet
        return body
    }

    /// POLICY_CHANGE action ids name policy and revision, so an ack says which revision the agent runs.
    static func actionId(policyId: String, revision: Int) -> String {
        "policy:\(policyId):\(revision)"
    }

    static func revision(fromActionId id: String) -> (policyId: String, revision: Int)? {
        let parts = id.split(separator: ":")
        guard parts.count == 3, parts[0] == "policy", let revision = Int(parts[2]) else { return nil }
        return (String(parts[1]), revision)
    }
}
