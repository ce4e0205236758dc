// The fleet simulator: N agents enroll into a real `flotilla server` process over mutual TLS and park a
// check-in each; it reports the server's memory and CPU per waiting agent, and how long one policy change takes
// to reach all of them. With --postgres, several Fleet Servers share a private PostgreSQL (over verified TLS),
// agents are spread over them, and the change is written by another process, so the time includes LISTEN/NOTIFY.
// Run it against a release build:
//
//   swift build -c release && .build/release/fleet-simulator --agents 2000 [--postgres --servers 2]
import ArgumentParser
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport

/// The simulator's flags, parsed by swift-argument-parser (`--help` lists them).
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-simulator",
        abstract: "Agents over mutual TLS against a real flotilla server: memory and CPU per waiting agent, policy fan-out."
    )

    @Option(help: "How many agents enroll and park a check-in.")
    var agents = 1000

    @Option(help: "The flotilla binary to run as the Fleet Server.")
    var flotilla = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path

    @Option(help: "Enrollments and check-ins in flight at once.")
    var concurrency = 200

    @Flag(help: "Fleet Servers on a private PostgreSQL over verified TLS (at least two).")
    var postgres = false

    @Option(help: "How many Fleet Servers share the fleet.")
    var servers = 1
}

/// Resident memory and CPU seconds of a process, from /proc.
struct Usage {
    var rssBytes: Int
    var cpuSeconds: Double

    init(rssBytes: Int, cpuSeconds: Double) {
        self.rssBytes = rssBytes
        self.cpuSeconds = cpuSeconds
    }

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

let options: Options = {
    var parsed = Options.parseOrExit()
    if parsed.postgres { parsed.servers = max(parsed.servers, 2) }
    return parsed
}()
let work = TemporaryDirectory("fleet-simulator")
defer { work.remove() }
func flotilla(_ arguments: [String]) throws {
    let result = try ProcessRunner.run(options.flotilla, arguments)
    guard result.status == 0 else { fatalError("flotilla \(arguments.joined(separator: " ")) failed: \(result.output)") }
}
try flotilla(["certs", "init", work.file("certs")])
// Where the servers keep their state: an SQLite file, or one PostgreSQL database they all share.
let postgres = options.postgres ? try await PostgresInstance.start() : nil
let storeArguments = postgres.map { pg in
    ["--fleet-server-es", pg.url(database: "fleet_pw"), "--fleet-server-es-ca", pg.cert("es-ca.crt"), "--fleet-server-es-password-file", pg.passwordFile]
} ?? ["--data-dir", work.file("data")]
precondition(postgres != nil || options.servers == 1, "several servers need --postgres")
try flotilla(["server", "init"] + storeArguments + ["--service-token-path", work.file("service.token"), "--enrollment-token-path", work.file("enrollment.token")])
let config = work.write("fleet.yml", """
    enroll_rate: 100000
    enroll_burst: 100000
    poll_timeout_seconds: 900
    checkin_flush_seconds: 1
    """)
let servers = try (0..<options.servers).map { _ in
    try BackgroundProcess(options.flotilla, [
        "server", "--config", config, "--fleet-server-service-token-path", work.file("service.token"),
        "--fleet-server-cert", work.file("certs/fleet-cert.crt"), "--fleet-server-cert-key", work.file("certs/fleet-cert.key"),
        "--certificate-authorities", work.file("certs/agent-ca.crt"), "--fleet-server-client-auth", "required",
        "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "0",
    ] + storeArguments)
}
let ports = try servers.map { server in
    Int(try server.waitForLine(containing: "Fleet Server listening on https://").split(separator: ":").last!.trimmingCharacters(in: .whitespaces))!
}
func usage() throws -> Usage {
    try servers.map { try Usage(pid: $0.processIdentifier) }.reduce(Usage(rssBytes: 0, cpuSeconds: 0)) {
        Usage(rssBytes: $0.rssBytes + $1.rssBytes, cpuSeconds: $0.cpuSeconds + $1.cpuSeconds)
    }
}
let idle = try usage()

let tls = try TLSClientContext(settings: TLSSettings(
    certificateAuthorities: [work.file("certs/fleet-ca.crt")], certificate: work.file("certs/agent-cert.crt"),
    key: work.file("certs/agent-cert.key"), keyPassphrasePath: work.file("certs/agent-cert.passphrase")
))
let token = try String(contentsOfFile: work.file("enrollment.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

var started = Date()
let agents = try await inBatches(options.agents, width: options.concurrency) { index in
    var agent = FleetAgentClient(port: ports[index % ports.count], tls: tls)
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
let store: any Store = try await postgres?.openStore(database: "fleet_pw") ?? SQLiteStore(path: work.file("data/fleet.sqlite"))
started = Date()
while try await store.agents().filter({ $0.lastMessage == "running" }).count < agents.count {
    try await Task.sleep(for: .milliseconds(200))
    if Date().timeIntervalSince(started) > 600 { fatalError("the check-ins did not all arrive") }
}
// Let the last handshakes settle before measuring.
try await Task.sleep(for: .seconds(2))
let parked = try usage()
try await Task.sleep(for: .seconds(10))
let afterWait = try usage()
let perAgent = Double(parked.rssBytes - idle.rssBytes) / Double(agents.count)
print("\(servers.count) server(s) on \(postgres == nil ? "SQLite" : "PostgreSQL"); RSS idle \(idle.rssBytes / 1_048_576) MiB; with \(agents.count) waiting check-ins \(parked.rssBytes / 1_048_576) MiB: \(Int(perAgent / 1024)) KiB per waiting agent")
print("server CPU while \(agents.count) check-ins waited 10 s: \(String(format: "%.3f", afterWait.cpuSeconds - parked.cpuSeconds)) s")
// A second window tells periodic work (the same again) from the tail of the parking burst (near zero now).
try await Task.sleep(for: .seconds(10))
let afterSecondWait = try usage()
print("server CPU in the next 10 s: \(String(format: "%.3f", afterSecondWait.cpuSeconds - afterWait.cpuSeconds)) s")

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
for server in servers { _ = await server.terminate(signal: SIGTERM) }
await postgres?.stop()
