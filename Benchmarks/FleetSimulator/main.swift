// The fleet simulator: N agents enroll into a real `flotilla server` process over mutual TLS and park a
// check-in each; it reports the server's memory and CPU per waiting agent, and how long one policy change takes
// to reach all of them. Run it against a release build:
//
//   swift build -c release && .build/release/fleet-simulator --agents 2000
import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import TestSupport

struct Options {
    var agents = 1000
    var flotilla = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path
    var concurrency = 200

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--agents": agents = Int(arguments.next() ?? "") ?? agents
            case "--flotilla": flotilla = arguments.next() ?? flotilla
            case "--concurrency": concurrency = Int(arguments.next() ?? "") ?? concurrency
            default: fatalError("unknown option \(argument); use --agents N, --flotilla PATH, --concurrency N")
            }
        }
    }
}

/// Resident memory and CPU seconds of a process, from /proc.
struct Usage {
    var rssBytes: Int
    var cpuSeconds: Double

    init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rssLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        rssBytes = (Int(rssLine.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat.split(separator: ")").last!.split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        cpuSeconds = (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks
    }
}

/// Runs `work` for every index with at most `width` in flight.
func inBatches<T: Sendable>(_ count: Int, width: Int, _ work: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: T.self) { group in
        var results: [T] = []
        for index in 0..<count {
            if index >= width, let result = try await group.next() { results.append(result) }
            group.addTask { try await work(index) }
        }
        for try await result in group { results.append(result) }
        return results
    }
}

let options = Options()
let work = TemporaryDirectory("fleet-simulator")
defer { work.remove() }
func flotilla(_ arguments: [String]) throws {
    let result = try ProcessRunner.run(options.flotilla, arguments)
    guard result.status == 0 else { fatalError("flotilla \(arguments.joined(separator: " ")) failed: \(result.output)") }
}
try flotilla(["certs", "init", work.file("certs")])
try flotilla(["server", "init", "--data-dir", work.file("data"), "--service-token-path", work.file("service.token"), "--enrollment-token-path", work.file("enrollment.token")])
let config = work.write("fleet.yml", """
    enroll_rate: 100000
    enroll_burst: 100000
    poll_timeout_seconds: 900
    checkin_flush_seconds: 1
    """)
let server = try BackgroundProcess(options.flotilla, [
    "server", "--config", config, "--data-dir", work.file("data"), "--fleet-server-service-token-path", work.file("service.token"),
    "--fleet-server-cert", work.file("certs/fleet-cert.crt"), "--fleet-server-cert-key", work.file("certs/fleet-cert.key"),
    "--certificate-authorities", work.file("certs/agent-ca.crt"), "--fleet-server-client-auth", "required",
    "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "0",
])
let line = try server.waitForLine(containing: "Fleet Server listening on https://")
let port = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))!
let idle = try Usage(pid: server.processIdentifier)

let tls = try TLSClientContext(settings: TLSSettings(
    certificateAuthorities: [work.file("certs/fleet-ca.crt")], certificate: work.file("certs/agent-cert.crt"),
    key: work.file("certs/agent-cert.key"), keyPassphrasePath: work.file("certs/agent-cert.passphrase")
))
let token = try String(contentsOfFile: work.file("enrollment.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

var started = Date()
let agents = try await inBatches(options.agents, width: options.concurrency) { _ in
    var agent = FleetAgentClient(port: port, tls: tls)
    let reply = try await agent.enroll(token: token)
    guard reply.status == 200 else { fatalError("enroll: \(reply.status) \(reply.body)") }
    return agent
}
let enrollSeconds = Date().timeIntervalSince(started)
print("enrolled \(agents.count) agents over mutual TLS in \(String(format: "%.1f", enrollSeconds)) s (\(Int(Double(agents.count) / enrollSeconds))/s)")

// Every agent parks a check-in on its own connection, as the current revision's holder.
let checkins = agents.map { agent in
    Task { try await agent.checkin(policyRevision: 1, policyId: "default-policy") }
}
let store = try SQLiteStore(path: work.file("data/fleet.sqlite"))
started = Date()
while try await store.agents().filter({ $0.lastMessage == "running" }).count < agents.count {
    try await Task.sleep(for: .milliseconds(200))
    if Date().timeIntervalSince(started) > 600 { fatalError("the check-ins did not all arrive") }
}
// Let the last handshakes settle before measuring.
try await Task.sleep(for: .seconds(2))
let parked = try Usage(pid: server.processIdentifier)
try await Task.sleep(for: .seconds(10))
let afterWait = try Usage(pid: server.processIdentifier)
let perAgent = Double(parked.rssBytes - idle.rssBytes) / Double(agents.count)
print("server RSS idle \(idle.rssBytes / 1_048_576) MiB; with \(agents.count) waiting check-ins \(parked.rssBytes / 1_048_576) MiB: \(Int(perAgent / 1024)) KiB per waiting agent")
print("server CPU while \(agents.count) check-ins waited 10 s: \(String(format: "%.3f", afterWait.cpuSeconds - parked.cpuSeconds)) s")

// One policy change reaches every waiting agent.
var policy = try await store.policy(id: "default-policy")!
policy.body = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://es.example:9200"]}},"inputs":[{"type":"system/metrics"}]}"#
started = Date()
try await store.savePolicy(policy)
var revisions: [Int] = []
for checkin in checkins {
    let reply = try await checkin.value
    let action = try reply.decode(CheckinResponse.self).actions?.first
    revisions.append(action?.policy?["revision"]?.intValue ?? 0)
}
let fanOut = Date().timeIntervalSince(started)
print("policy revision 2 reached \(revisions.filter { $0 == 2 }.count)/\(agents.count) waiting agents in \(String(format: "%.2f", fanOut)) s")
try await store.close()
_ = await server.terminate(signal: SIGTERM)
