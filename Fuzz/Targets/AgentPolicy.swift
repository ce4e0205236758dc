import FleetProtocol
import FleetTLS
import Foundation
@testable import FleetAgent

/// What an agent decodes from Fleet Server: a check-in response with its actions, and the policy a POLICY_CHANGE
/// carries, read the way the agent reads it (outputs, inputs and their streams, the Fleet proxy and TLS), without
/// opening any file or connection the policy names.
struct AgentPolicy: FuzzTarget {
    let name = "agent-policy"

    func run(_ data: Data) -> FuzzOutcome {
        let policy: JSONValue
        if let response = try? JSONDecoder().decode(CheckinResponse.self, from: data) {
            guard let carried = response.actions?.first(where: { $0.type == "POLICY_CHANGE" })?.policy else { return .accepted }
            policy = carried
        } else if let plain = try? JSONValue(data: data) {
            policy = plain
        } else {
            return .refused("not JSON")
        }
        var refusals: [String] = []
        let tags = policy["agent"]?["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for (id, section) in policy["outputs"]?.objectValue ?? [:] {
            do throws(FlotillaError) { _ = try OutputSettings(id: id, policy: section) } catch { refusals.append(error.message) }
        }
        for (position, input) in (policy["inputs"]?.arrayValue ?? []).enumerated() {
            let field = "inputs[\(position)]"
            do throws(FlotillaError) {
                switch input["type"]?.stringValue ?? "" {
                case "logfile", "filestream", "log": _ = try LogfileSettings.streams(of: input, field: field, policyTags: tags)
                case "system/metrics": _ = try SystemMetricsInput.streams(of: input, field: field)
                default: break
                }
            } catch {
                refusals.append(error.message)
            }
        }
        do throws(FlotillaError) { _ = try ProxySettings(section: policy["fleet"], field: "fleet") } catch { refusals.append(error.message) }
        if let ssl = policy["fleet"]?["ssl"], let pushed = try? ssl.decode(TLSSettings.self) {
            _ = AgentRunner.merge(pushed, into: TLSSettings())
        }
        return refusals.isEmpty ? .accepted : .refused(refusals.joined(separator: " "))
    }
}
