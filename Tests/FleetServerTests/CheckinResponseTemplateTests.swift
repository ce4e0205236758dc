@testable import FleetServer
import FleetProtocol
import FleetStore
import Foundation
import NIOCore
import Testing

/// The cached POLICY_CHANGE response, filled in per agent, says exactly what encoding the response afresh says.
@Suite struct CheckinResponseTemplateTests {
    let policy = PolicyRecord(
        id: "p1", name: "P", revision: 3,
        body: #"{"inputs":[{"type":"logfile","paths":["/var/log/*.log"]}],"note":"agent_id \"quoted\" \\ here"}"#
    )

    func decoded(_ buffer: ByteBuffer) throws -> CheckinResponse {
        try JSONDecoder().decode(CheckinResponse.self, from: Data(buffer.readableBytesView))
    }

    @Test(arguments: [nil, "42"] as [String?], ["3f2a-uuid-like", #"odd "id" \ with / and é"#])
    func renderedResponseDecodesAsTheEncodedOne(ackToken: String?, agentId: String) throws {
        let entry = try PolicyCache.Entry(record: policy, fleetHosts: ["https://fleet.example:8220"], readAt: Date())
        let template = ackToken == nil ? entry.withoutAckToken : entry.withAckToken
        let rendered = try decoded(template.render(agentId: agentId, ackToken: ackToken))
        let expected = CheckinResponse(ackToken: ackToken, actions: [entry.action(for: agentId)])
        #expect(rendered == expected)
        #expect(rendered.actions?.first?.policy?["note"]?.stringValue == #"agent_id "quoted" \ here"#)
        #expect(rendered.actions?.first?.policy?["fleet"]?["hosts"]?[0]?.stringValue == "https://fleet.example:8220")
    }
}
