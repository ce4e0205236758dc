import FleetProtocol
import Foundation
import Hummingbird
@testable import FleetServer

/// The bodies agents send to Fleet Server (enroll, check-in, acks), decoded as the agent API decodes them. The
/// first byte picks the body; the rest is the JSON.
struct AgentRequestBodies: FuzzTarget {
    let name = "agent-api-bodies"

    func run(_ data: Data) -> FuzzOutcome {
        guard let selector = data.first else { return .refused("empty") }
        let body = data.dropFirst()
        do throws(APIError) {
            switch selector % 3 {
            case 0:
                let enroll = try Request.decodeJSON(EnrollRequest.self, from: body)
                _ = EnrollmentType(rawValue: enroll.type)
            case 1:
                let checkin = try Request.decodeJSON(CheckinRequest.self, from: body)
                _ = CheckinStatus(rawValue: checkin.status)
                _ = checkin.ackToken.flatMap { Int64($0) }
            default:
                let acks = try Request.decodeJSON(AckRequest.self, from: body)
                for event in acks.events { _ = PolicyBuilder.revision(fromActionId: event.actionID) }
            }
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }
}
