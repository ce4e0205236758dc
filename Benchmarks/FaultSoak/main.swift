// The fault soak: two Fleet Servers on one PostgreSQL, simulated agents in this process and real agent processes
// shipping growing log files to the stand-in Elasticsearch endpoint (a stand-in, not Elasticsearch). For the
// chosen duration it kills -9 a Fleet Server, a real agent, PostgreSQL or the output at random moments and
// restarts them, then lets everything settle and counts what was lost. scripts/soak.sh builds and runs it.
import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import NIOConcurrencyHelpers
import TestSupport

/// The soak's flags, parsed by swift-argument-parser (`--help` lists them).
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault-soak",
        abstract: "Kill -9 Fleet Servers, agents, PostgreSQL and the output at random; count what was lost."
    )

    @Option(help: "How long faults go on, in seconds.")
    var duration = 300.0

    @Option(help: "Simulated agents (in this process) checking in and acknowledging actions.")
    var agents = 200

    @Option(help: "Real agent processes, each shipping its own growing log file.")
    var realAgents = 3

    @Option(help: "Mean seconds between faults.")
    var faultEvery = 8.0

    @Option(help: "Seconds allowed after the faults for every action and log line to arrive.")
    var settle = 180.0

    @Option(help: "Seed of the random faults (a run prints its seed, to replay it).")
    var seed: UInt64?

    @Option(help: "The flotilla binary.")
    var flotilla = Options.sibling("flotilla")

    @Option(help: "The es-standin binary.")
    var standIn = Options.sibling("es-standin")

    static func sibling(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// SplitMix64: a seeded generator, so a run's faults can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func say(_ line: String) {
    FileHandle.standardError.write(Data("[soak \(String(format: "%6.1f", Date().timeIntervalSince(begun)))] \(line)\n".utf8))
}

/// Runs a program to its end; a failure stops the soak, since nothing could be counted after it.
func must(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let result = try await ProcessRunner.run(executable, arguments, limit: 120)
    guard result.status == 0 else { throw FlotillaError("\(arguments.prefix(2).joined(separator: " ")) failed: \(result.output)") }
    return result
}

/// A process the soak kills and starts again with the same arguments.
final class Restartable: @unchecked Sendable {  // `process` is only touched by the chaos loop and the end
    let name: String
    let executable: String
    let arguments: [String]
    let ready: String
    var process: BackgroundProcess?

    init(name: String, executable: String, arguments: [String], ready: String) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.ready = ready
    }

    /// Starts it and waits until it prints `ready`; tries again for a while (a Fleet Server whose store is down
    /// refuses to start), and throws when it never gets there.
    func start(within seconds: Double = 90) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let started = try BackgroundProcess(executable, arguments)
            do {
                _ = try await started.line(containing: ready, within: 30)
                process = started
                return
            } catch {
                started.stop()
                if Date() > deadline { throw FlotillaError("\(name) did not start again: \(started.printed.suffix(800))") }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    func kill9() async {
        if let process { _ = await process.terminate(signal: SIGKILL) }
        process = nil
    }
}

let options = Options.parseOrExit()
let begun = Date()
/// What the soak is doing, for the message when it overruns.
let phase = NIOLockedValueBox("setting up")
// A soak that hangs fails with where it hung instead of waiting forever (the faults, the settling, and five
// minutes for setting up and stopping).
Thread.detachNewThread {
    Thread.sleep(forTimeInterval: options.duration + options.settle + 300)
    say("the soak overran its time while \(phase.withLockedValue { $0 }); giving up")
    exit(2)
}
let seed = options.seed ?? UInt64.random(in: 1...UInt64.max)
var random = SeededRandom(state: seed)
say("seed \(seed): \(options.agents) simulated agents, \(options.realAgents) real agents, faults for \(Int(options.duration)) s")

let work = TemporaryDirectory("fault-soak")
defer { work.remove() }
_ = try await must(options.flotilla, ["certs", "init", work.file("certs")])
let pg = try await PostgresInstance.start()
let storeArguments = [
    "--fleet-server-es", pg.url(database: "fleet_pw"), "--fleet-server-es-ca", pg.cert("es-ca.crt"),
    "--fleet-server-es-password-file", pg.passwordFile,
]
_ = try await must(options.flotilla, ["server", "init"] + storeArguments + [
    "--service-token-path", work.file("service.token"), "--enrollment-token-path", work.file("enrollment.token"),
])
let store = try await pg.openStore(database: "fleet_pw")

// The output, recording what it accepted in a file that outlives kill -9.
let delivered = work.file("delivered.ndjson")
let esPort = try FreePort.onLoopback()
let output = Restartable(
    name: "the output", executable: options.standIn, arguments: ["--port", "\(esPort)", "--record", delivered],
    ready: "listening on"
)
try await output.start()

// Two Fleet Servers with short polls, so check-ins cycle through the faults.
let config = work.write("fleet.yml", """
    poll_timeout_seconds: 10
    minimum_poll_timeout_seconds: 1
    poll_jitter_seconds: 0
    checkin_flush_seconds: 0.5
    enroll_rate: 10000
    enroll_burst: 10000
    checkin_rate: 10000
    checkin_burst: 10000
    """)
let ports = try (0..<2).map { _ in try FreePort.onLoopback() }
let servers = ports.enumerated().map { index, port in
    Restartable(name: "Fleet Server \(index == 0 ? "A" : "B")", executable: options.flotilla, arguments: [
        "server", "--config", config, "--fleet-server-service-token-path", work.file("service.token"),
        "--fleet-server-cert", work.file("certs/fleet-cert.crt"), "--fleet-server-cert-key", work.file("certs/fleet-cert.key"),
        "--certificate-authorities", work.file("certs/agent-ca.crt"), "--fleet-server-client-auth", "required",
        "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "\(port)",
    ] + storeArguments, ready: "Fleet Server listening on https://")
}
for server in servers { try await server.start() }

// Real agents: each on its own policy, tailing its own file into the output.
let logs = work.file("logs")
try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
var realAgents: [Restartable] = []
var realAgentIds: [String] = []
for index in 0..<options.realAgents {
    let policyId = "soak-\(index)"
    let body: JSONValue = [
        "outputs": ["default": ["type": "elasticsearch", "hosts": [.string("http://127.0.0.1:\(esPort)")], "bulk_max_size": 200]],
        "inputs": [["type": "logfile", "id": "soak-log", "use_output": "default", "streams": [["id": "lines", "paths": [.string("\(logs)/agent-\(index).log")]]]]],
    ]
    try await store.savePolicy(PolicyRecord(id: policyId, name: "Soak \(index)", body: String(decoding: try body.jsonData(), as: UTF8.self)))
    let token = try await StoreSetup.createEnrollmentToken(store, policyId: policyId, name: "soak-\(index)")
    FileManager.default.createFile(atPath: "\(logs)/agent-\(index).log", contents: nil)
    let base = work.file("agent-\(index)")
    _ = try await must(options.flotilla, [
        "install", "--url=https://localhost:\(ports[index % 2])", "--enrollment-token=\(token.secret)",
        "--certificate-authorities=\(work.file("certs/fleet-ca.crt")),\(work.file("certs/agent-ca.crt"))",
        "--elastic-agent-cert=\(work.file("certs/agent-cert.crt"))", "--elastic-agent-cert-key=\(work.file("certs/agent-cert.key"))",
        "--elastic-agent-cert-key-passphrase=\(work.file("certs/agent-cert.passphrase"))", "--base-path", base, "--non-interactive",
    ])
    let agent = Restartable(
        name: "agent \(index)", executable: options.flotilla, arguments: ["run", "--base-path", base], ready: "is running"
    )
    try await agent.start()
    realAgents.append(agent)
    realAgentIds.append(try AgentVault(directory: "\(base)/state").loadEnrolled().agentId)
}

// Log writers: one line every 20 ms per real agent, counted.
let stopping = NIOLockedValueBox(false)
let written = NIOLockedValueBox([Int](repeating: 0, count: options.realAgents))
let writers = (0..<options.realAgents).map { index in
    Task {
        let handle = FileHandle(forWritingAtPath: "\(logs)/agent-\(index).log")!
        var line = 0
        while !stopping.withLockedValue({ $0 }) {
            line += 1
            try handle.write(contentsOf: Data("soak agent-\(index) line-\(line)\n".utf8))
            written.withLockedValue { $0[index] = line }
            try await Task.sleep(for: .milliseconds(20))
        }
        try handle.close()
    }
}

// Simulated agents: check in, acknowledge, and only then move their ack token on, so nothing is skipped.
let tls = try TLSClientContext(settings: TLSSettings(
    certificateAuthorities: [work.file("certs/fleet-ca.crt")], certificate: work.file("certs/agent-cert.crt"),
    key: work.file("certs/agent-cert.key"), keyPassphrasePath: work.file("certs/agent-cert.passphrase")
))
let enrollment = try String(contentsOfFile: work.file("enrollment.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
var simulated: [FleetAgentClient] = []
for index in 0..<options.agents {
    var client = FleetAgentClient(port: ports[index % 2], tls: tls)
    let reply = try await client.enroll(token: enrollment)
    guard reply.status == 200 else { throw FlotillaError("simulated agent \(index) did not enroll: \(reply.status) \(reply.body)") }
    simulated.append(client)
}
say("\(simulated.count) simulated and \(realAgents.count) real agents enrolled")
let checkinFailures = NIOLockedValueBox(0)
let loops = simulated.map { enrolled in
    Task {
        var client = enrolled
        var ackToken: String?
        var revision = 0
        while !Task.isCancelled {
            do {
                let reply = try await client.checkin(ackToken: ackToken, policyRevision: revision, policyId: StoreSetup.defaultPolicyId)
                guard reply.status == 200 else { throw FlotillaError("check-in answered \(reply.status)") }
                let response = try reply.decode(CheckinResponse.self)
                let actions = response.actions ?? []
                if !actions.isEmpty {
                    let ack = try await client.ack(actions)
                    guard ack.status == 200 else { throw FlotillaError("acks answered \(ack.status)") }
                    for action in actions where action.type == ActionType.policyChange.rawValue {
                        revision = action.policy?["revision"]?.intValue ?? revision
                    }
                }
                ackToken = response.ackToken ?? ackToken
            } catch {
                checkinFailures.withLockedValue { $0 += 1 }
                // The other Fleet Server, after a pause with jitter, as an agent with several hosts does.
                client.port = client.port == ports[0] ? ports[1] : ports[0]
                try? await Task.sleep(for: .milliseconds(Int.random(in: 300...1500)))
            }
        }
    }
}
let allIds = simulated.map(\.agentId) + realAgentIds

// Actions every two seconds, to every agent; written through this process's own store link, retried while
// PostgreSQL is down.
let created = NIOLockedValueBox<[String]>([])
let actionWriter = Task {
    var number = 0
    while !stopping.withLockedValue({ $0 }) {
        number += 1
        let id = "soak-action-\(number)"
        var stored = false
        while !stored, !stopping.withLockedValue({ $0 }) {
            do {
                // A store call that never returns is a finding in itself: said, not waited on in silence.
                let watchdog = Task {
                    try await Task.sleep(for: .seconds(30))
                    say("adding \(id) through the store has not returned after 30 s")
                }
                defer { watchdog.cancel() }
                _ = try await store.addAction(ActionRecord(id: id, type: "SOAK_PING", agentIds: allIds))
                stored = true
                created.withLockedValue { $0.append(id) }
            } catch {
                // A write whose commit we never heard of may still have landed: it counts if it is stored.
                if (try? await store.action(id: id)) != nil { stored = true; created.withLockedValue { $0.append(id) } }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        try? await Task.sleep(for: .seconds(2))
    }
}

// The faults.
phase.withLockedValue { $0 = "injecting faults" }
var faults: [String: Int] = [:]
let end = Date().addingTimeInterval(options.duration)
while Date() < end {
    try await Task.sleep(for: .milliseconds(Int(Double.random(in: 0.5...1.5, using: &random) * options.faultEvery * 1000)))
    let pick = Int.random(in: 0..<5, using: &random)
    let pause = Double.random(in: 0.2...3, using: &random)
    switch pick {
    case 0, 1:
        let server = servers[pick]
        say("kill -9 \(server.name); back in \(String(format: "%.1f", pause)) s")
        await server.kill9()
        try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
        try await server.start()
        faults["Fleet Server", default: 0] += 1
    case 2 where !realAgents.isEmpty:
        let agent = realAgents[Int.random(in: 0..<realAgents.count, using: &random)]
        say("kill -9 \(agent.name); back in \(String(format: "%.1f", pause)) s")
        await agent.kill9()
        try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
        try await agent.start()
        faults["agent", default: 0] += 1
    case 3:
        say("kill -9 PostgreSQL; back in \(String(format: "%.1f", pause)) s")
        await pg.killServer()
        try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
        var restarted = false
        for _ in 0..<30 where !restarted {
            do { try await pg.startServer(); restarted = true } catch { try await Task.sleep(for: .seconds(1)) }
        }
        guard restarted else { throw FlotillaError("PostgreSQL did not start again") }
        faults["PostgreSQL", default: 0] += 1
    default:
        say("kill -9 the output; back in \(String(format: "%.1f", pause)) s")
        await output.kill9()
        try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
        try await output.start()
        faults["output", default: 0] += 1
    }
}

// No more faults, no more writes: everything must arrive.
stopping.withLockedValue { $0 = true }
say("faults over; waiting for the action writer and the log writers")
phase.withLockedValue { $0 = "waiting for the action writer (a store call) and the log writers" }
await actionWriter.value
for (index, writer) in writers.enumerated() {
    if case .failure(let error) = await writer.result { say("the log writer of agent \(index) stopped early: \(error)") }
}
let actionIds = created.withLockedValue { $0 }
let lines = written.withLockedValue { $0 }
let expectedLines = Set(lines.enumerated().flatMap { index, count in
    count > 0 ? (1...count).map { "soak agent-\(index) line-\($0)" } : []
})
say("faults over; \(actionIds.count) actions and \(expectedLines.count) lines to account for")
// Simulated agents keep checking in until everything is counted.
phase.withLockedValue { $0 = "waiting for every acknowledgement and log line" }
let settled = Date().addingTimeInterval(options.settle)
func deliveredLines() -> (unique: Set<String>, total: Int) {
    let text = (try? String(contentsOfFile: delivered, encoding: .utf8)) ?? ""
    var unique = Set<String>(), total = 0
    for line in text.split(separator: "\n") {
        guard let message = (try? JSONValue(data: Data(line.utf8)))?["message"]?.stringValue else { continue }
        total += 1
        unique.insert(message)
    }
    return (unique, total)
}
/// (action, agent) pairs with no acknowledgement stored yet.
func missingResults() async -> [(action: String, agent: String)] {
    var missing: [(String, String)] = []
    for id in actionIds {
        let results = Set(((try? await store.results(actionId: id)) ?? []).map(\.agentId))
        for agent in allIds where !results.contains(agent) { missing.append((id, agent)) }
    }
    return missing
}
var missing = await missingResults()
var lineCounts = deliveredLines()
while Date() < settled, !missing.isEmpty || !expectedLines.isSubset(of: lineCounts.unique) {
    try await Task.sleep(for: .seconds(2))
    missing = await missingResults()
    lineCounts = deliveredLines()
}
for loop in loops { loop.cancel() }

let records = try await store.agents()
let enrolled = records.filter { $0.unenrolledAt == nil }
let stillKnown = Set(realAgentIds).isSubset(of: Set(records.map(\.id)))
let lost = expectedLines.subtracting(lineCounts.unique).count
let faultText = faults.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
let summary = """
    soak: \(Int(options.duration)) s, seed \(seed), faults \(faults.values.reduce(0, +)) (\(faultText)); \
    agents \(allIds.count) enrolled, \(enrolled.count) still enrolled, \(records.count - allIds.count) enrolled twice; \
    actions \(actionIds.count) created, \(missing.count) acknowledgements missing of \(actionIds.count * allIds.count); \
    log lines \(expectedLines.count) written, \(lineCounts.unique.intersection(expectedLines).count) delivered, \(lost) lost, \
    \(lineCounts.total - lineCounts.unique.count) duplicates; \(checkinFailures.withLockedValue { $0 }) failed check-ins retried
    """
print(summary)
for (action, agent) in missing.prefix(5) {
    say("no acknowledgement of \(action) from \(realAgentIds.contains(agent) ? "real" : "simulated") agent \(agent)")
}
for agent in realAgents { await agent.kill9() }
for server in servers { await server.kill9() }
await output.kill9()
try? await store.close()
await pg.stop()
work.remove()  // exit() below skips the defer
let clean = enrolled.count == allIds.count && records.count == allIds.count && stillKnown && missing.isEmpty && lost == 0
exit(clean ? 0 : 1)
