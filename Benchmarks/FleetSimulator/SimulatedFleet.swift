import FleetAgent
import FleetProtocol
import FleetStore
import FleetTLS
import FleetServer
import Foundation
import NIOCore

/// The simulated agents: each enrolls over mutual TLS through the agent's own HTTP client (kept-alive connections,
/// Flotilla's TLS), then checks in again and again as an agent does, backing off on failures and honouring
/// Retry-After, and notes which policy revision it runs. Every failure is counted by its reason.
final class SimulatedFleet: Sendable {
    /// One enrolled agent and its own connection pool.
    struct Agent: Sendable {
        let id: String
        let authorization: String
        let client: HTTPClient
    }

    struct Counts: Sendable {
        var failures: [String: Int] = [:]
        /// Answers that said to come back later (429, 503 with Retry-After).
        var paced = 0
        /// Refused API keys: an agent that would have to enroll again.
        var refusedKeys = 0
        var checkins = 0
        /// How many agents run each revision, and when the last of them got it.
        var running: [Int: Int] = [:]
        var lastArrival: [Int: Date] = [:]
    }

    let tls: TLSClientContext
    let ports: [Int]
    let counts = LockedBox(Counts())
    /// When set, check-ins ask for `Connection: close`: every check-in is a new TLS handshake.
    let closeConnections = LockedBox(false)

    init(tls: TLSClientContext, ports: [Int]) {
        self.tls = tls
        self.ports = ports
    }

    func fail(_ reason: String) {
        counts.withLock { $0.failures[reason, default: 0] += 1 }
    }

    /// After an answer that is not a success, waits as the agent does: what a pacing answer asks (with jitter),
    /// otherwise the failure backoff, which is counted.
    func pause(_ what: String, after answer: HTTPResponse, backoff: inout Backoff) async throws {
        if let seconds = RetryAfter.seconds(status: answer.status, headers: answer.headers) {
            counts.withLock { $0.paced += 1 }
            try await Task.sleep(for: .seconds(RetryAfter.delay(seconds)))
        } else {
            fail("\(what): \(answer.status) \(answer.message)")
            try await Task.sleep(for: .seconds(backoff.next()))
        }
    }

    /// Enrolls `count` agents, `width` at a time; an enrollment paced or failed is retried, so every agent ends
    /// enrolled or the time limit stops the run.
    func enroll(_ count: Int, width: Int, token: String) async throws -> [Agent] {
        try await withThrowingTaskGroup(of: Agent.self) { group in
            var agents: [Agent] = []
            agents.reserveCapacity(count)
            for index in 0..<count {
                if index >= width, let agent = try await group.next() { agents.append(agent) }
                group.addTask { try await self.enrollOne(index: index, token: token) }
            }
            for try await agent in group { agents.append(agent) }
            return agents
        }
    }

    func enrollOne(index: Int, token: String) async throws -> Agent {
        let client = try HTTPClient(
            endpoint: try HTTPEndpoint(url: "https://localhost:\(ports[index % ports.count])"), tls: tls,
            dialHost: "127.0.0.1", role: "Fleet Server"
        )
        let request = EnrollRequest(
            type: "PERMANENT",
            metadata: EnrollMetadata(local: ["elastic": ["agent": ["version": "9.1.0"]], "host": ["hostname": .string("sim-\(index)")]])
        )
        let body = ByteBuffer(bytes: try JSONEncoder().encode(request))
        var backoff = Backoff()
        while true {
            try Task.checkCancellation()
            let answer: HTTPResponse
            do {
                answer = try await client.send(
                    .POST, "/api/fleet/agents/enroll", body: body,
                    headers: ["Authorization": "ApiKey \(token)", "Content-Type": "application/json"], timeout: 60
                )
            } catch {
                fail("enroll: \(error)")
                try await Task.sleep(for: .seconds(backoff.next()))
                continue
            }
            if answer.status == 200 {
                let item = try JSONDecoder().decode(EnrollResponse.self, from: answer.body).item
                return Agent(id: item.id, authorization: "ApiKey \(item.accessAPIKey)", client: client)
            }
            try await pause("enroll", after: answer, backoff: &backoff)
        }
    }

    /// The part of a check-in response the simulator reads.
    struct Answer: Decodable {
        struct Item: Decodable {
            struct Data: Decodable {
                struct Policy: Decodable { let revision: Int }
                let policy: Policy?
            }
            let type: String
            let data: Data?
        }
        let actions: [Item]?
    }

    /// Checks in until cancelled, as the agent's loop does.
    func checkInForever(_ agent: Agent) async {
        var revision = 0
        var backoff = Backoff()
        let path = "/api/fleet/agents/\(agent.id)/checkin"
        while !Task.isCancelled {
            let request = CheckinRequest(
                status: "online", message: "running", agentPolicyID: revision == 0 ? nil : StoreSetup.defaultPolicyId,
                policyRevisionIdx: revision == 0 ? nil : Int64(revision)
            )
            var headers = ["Authorization": agent.authorization, "Content-Type": "application/json"]
            if closeConnections.withLock({ $0 }) { headers["Connection"] = "close" }
            let answer: HTTPResponse
            do {
                answer = try await agent.client.send(
                    .POST, path, body: ByteBuffer(bytes: try! JSONEncoder().encode(request)), headers: headers, timeout: 1000
                )
            } catch {
                if Task.isCancelled { return }
                fail("check-in: \(error)")
                try? await Task.sleep(for: .seconds(backoff.next()))
                continue
            }
            switch answer.status {
            case 200:
                backoff.reset()
                let newest = (try? JSONDecoder().decode(Answer.self, from: answer.body))?.actions?
                    .compactMap { $0.type == "POLICY_CHANGE" ? $0.data?.policy?.revision : nil }.max()
                counts.withLock { counts in
                    counts.checkins += 1
                    if let newest, newest > revision {
                        if revision > 0 { counts.running[revision, default: 1] -= 1 }
                        counts.running[newest, default: 0] += 1
                        counts.lastArrival[newest] = Date()
                    }
                }
                if let newest, newest > revision { revision = newest }
            default:
                if answer.status == 401 { counts.withLock { $0.refusedKeys += 1 } }
                try? await pause("check-in", after: answer, backoff: &backoff)
            }
        }
    }

    /// How many agents run `revision` (or a newer one).
    func running(atLeast revision: Int) -> Int {
        counts.withLock { $0.running.filter { $0.key >= revision }.values.reduce(0, +) }
    }
}
