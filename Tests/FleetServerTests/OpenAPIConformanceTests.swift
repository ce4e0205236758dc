import FleetProtocol
import FleetServer
import FleetStore
import Foundation
import TestSupport
import Testing

/// Response bodies checked against the schemas of Elastic's agent API contract by an independent validator
/// (openapi-schema-validator, run by scripts/validate-openapi.py).
@Suite(.timeLimit(.minutes(5))) struct OpenAPIConformanceTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var contract: String {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/fleet-server-openapi.yml").path
    }

    /// The contract lives in ../shared, which a clone of the project alone does not have: then this extra check
    /// is skipped, and says why.
    static var contractPresent: Bool {
        let present = FileManager.default.fileExists(atPath: contract)
        if !present { print("OpenAPIConformanceTests skipped: \(contract) is absent (a clone without ../shared)") }
        return present
    }

    @Test(.enabled(if: OpenAPIConformanceTests.contractPresent, "the agent API contract ../shared/reference/fleet-server-openapi.yml is absent"))
    func statusEnrollCheckinAndAcksMatchTheContract() async throws {
        let fleet = try await TestFleetServer.start()
        defer { Task { await fleet.stop() } }
        let bodies = TemporaryDirectory("flotilla-openapi")
        defer { bodies.remove() }

        var client = try fleet.client()
        let status = try await client.send("GET", "/api/status")
        let enroll = try await client.enroll(token: fleet.enrollmentToken, tags: ["linux", "web"])
        let checkin = try await client.checkin()
        let actions = try checkin.decode(CheckinResponse.self).actions ?? []
        #expect(!actions.isEmpty)
        let acks = try await client.ack(actions)
        let error = try await client.send("POST", "/api/fleet/agents/\(client.agentId)/checkin", body: "{}", authorization: client.agentAuthorization)

        let pairs = [
            ("statusResponse", status.body), ("enrollResponse", enroll.body), ("checkinResponse", checkin.body),
            ("ackResponse", acks.body), ("error", error.body),
        ]
        var arguments = [Self.packageRoot.appendingPathComponent("scripts/validate-openapi.py").path, Self.contract]
        for (schema, body) in pairs {
            arguments.append("\(schema)=\(bodies.write("\(schema).json", body))")
        }
        let validation = try await ProcessRunner.run("python3", arguments)
        #expect(validation.status == 0, "\(validation.output)")
    }
}
