import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport

/// One fleet size, measured from fresh servers: enroll, park, memory, fan-out, steady state, restart.
struct SimulationRun {
    let options: FleetSimulator
    let size: Int
    let work = TemporaryDirectory("fleet-simulator")

    init(options: FleetSimulator, agents: Int) {
        self.options = options
        size = agents
    }

    static let waitingMetric = "flotilla_fleet_server_waiting_checkins"

    func say(_ line: String) {
        // Written at once, so a long run shows its progress through a pipe.
        FileHandle.standardOutput.write(Data("[\(size) agents] \(line)\n".utf8))
    }

    /// Waits until `condition` holds, checking every 200 ms, or fails after `seconds` naming what did not happen.
    func waitUntil(_ what: String, within seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try await !condition() {
            guard Date() < deadline else { throw FlotillaError("\(what) did not happen within \(Int(seconds)) s") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func flotilla(_ arguments: [String]) async throws {
        let result = try await ProcessRunner.run(options.flotilla, arguments, limit: 120)
        guard result.status == 0 else { throw FlotillaError("flotilla \(arguments.first ?? "") failed: \(result.output)") }
    }

    mutating func measure() async throws -> FleetSizeResult {
        defer { work.remove() }
        try await flotilla(["certs", "init", work.file("certs")])
        let postgres = options.postgres ? try await PostgresInstance.start() : nil
        let storeArguments = postgres.map { pg in
            ["--fleet-server-es", pg.url(database: "fleet_pw"), "--fleet-server-es-ca", pg.cert("es-ca.crt"),
             "--fleet-server-es-password-file", pg.passwordFile]
        } ?? ["--data-dir", work.file("data")]
        try await flotilla(["server", "init"] + storeArguments + [
            "--service-token-path", work.file("service.token"), "--enrollment-token-path", work.file("enrollment.token"),
        ])
        // Pacing off for enrollment (its rate is what is measured); polls end every --poll-timeout.
        let config = work.write("fleet.yml", """
            enroll_rate: 100000
            enroll_burst: 100000
            poll_timeout_seconds: \(options.pollTimeout)
            minimum_poll_timeout_seconds: 1
            poll_jitter_seconds: \(min(3, options.pollTimeout / 10))
            checkin_flush_seconds: 1
            """)
        let serverCount = options.postgres ? max(options.servers, 2) : 1
        let servers = try (0..<serverCount).map { _ in
            try ServerUnderTest(binary: options.flotilla, arguments: [
                "server", "--config", config, "--fleet-server-service-token-path", work.file("service.token"),
                "--fleet-server-cert", work.file("certs/fleet-cert.crt"), "--fleet-server-cert-key", work.file("certs/fleet-cert.key"),
                "--certificate-authorities", work.file("certs/agent-ca.crt"), "--fleet-server-client-auth", "required",
            ] + storeArguments)
        }
        for server in servers { try await server.start() }
        defer { Task { [servers] in for server in servers { await server.stop() } } }
        func usage() throws -> Usage { try servers.map { try $0.usage }.reduce(Usage(rssBytes: 0, cpuSeconds: 0), +) }
        func waiting() async -> Int {
            var total = 0.0
            for server in servers { total += await server.metric(Self.waitingMetric) }
            return Int(total)
        }
        let idle = try usage()

        let tls = try TLSClientContext(settings: TLSSettings(
            certificateAuthorities: [work.file("certs/fleet-ca.crt")], certificate: work.file("certs/agent-cert.crt"),
            key: work.file("certs/agent-cert.key"), keyPassphrasePath: work.file("certs/agent-cert.passphrase")
        ), role: "Fleet Server")
        let token = try String(contentsOfFile: work.file("enrollment.token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fleet = SimulatedFleet(tls: tls, ports: servers.map(\.port))

        var started = Date()
        let agents = try await fleet.enroll(size, width: options.concurrency, token: token)
        let enrollSeconds = Date().timeIntervalSince(started)
        say("enrolled over mutual TLS in \(String(format: "%.1f", enrollSeconds)) s (\(Int(Double(size) / enrollSeconds))/s)")

        // Every agent checks in on its own kept-alive connection, gets revision 1, and waits.
        let loops = agents.map { agent in Task { await fleet.checkInForever(agent) } }
        defer { for loop in loops { loop.cancel() } }
        let longPolls = options.pollTimeout > 120
        // With short polls a few agents are always between two polls: wait for nearly all.
        let target = longPolls ? size : Int(Double(size) * 0.98)
        try await waitUntil("\(target) waiting check-ins", within: 120 + Double(size) / 50) {
            fleet.running(atLeast: 1) == size ? await waiting() >= target : false
        }
        // The last handshakes' buffers go back to the allocator within a moment; measure once the count holds.
        let parked = try usage()
        let window = 10.0
        try await Task.sleep(for: .seconds(window))
        let afterWait = try usage()
        let perAgent = Double(parked.rssBytes - idle.rssBytes) / Double(size)
        say("\(servers.count) server(s) on \(postgres == nil ? "SQLite" : "PostgreSQL"): RSS idle \(idle.rssBytes / 1_048_576) MiB, "
            + "with \(size) waiting check-ins \(parked.rssBytes / 1_048_576) MiB: \(String(format: "%.1f", perAgent / 1024)) KiB per waiting agent")
        say("server CPU while they waited \(Int(window)) s: \(String(format: "%.3f", afterWait.cpuSeconds - parked.cpuSeconds)) s")

        // One policy change, written by this process, reaches every agent.
        let store: any Store = try await postgres?.openStore(database: "fleet_pw") ?? SQLiteStore(path: work.file("data/fleet.sqlite"))
        var policy = try await store.policy(id: StoreSetup.defaultPolicyId)!
        policy.body = #"{"outputs":{"default":{"type":"elasticsearch","hosts":["https://es.example:9200"]}},"inputs":[{"type":"system/metrics"}]}"#
        let beforeFanOut = try usage()
        started = Date()
        try await store.savePolicy(policy)
        var fanOut: Double?
        do {
            try await waitUntil("revision 2 reaching all \(size) agents", within: 120) { fleet.running(atLeast: 2) == size }
            fanOut = fleet.counts.withLock { $0.lastArrival[2] }.map { $0.timeIntervalSince(started) }
        } catch {
            say("\(error): \(fleet.running(atLeast: 2)) got it")
        }
        let fanOutCPU = try usage().cpuSeconds - beforeFanOut.cpuSeconds
        let serverP99 = try await Self.p99(servers[0].metrics(), histogram: "flotilla_fleet_server_policy_fanout_seconds")
        say("policy revision 2 reached \(fleet.running(atLeast: 2))/\(size) agents in \(fanOut.map { String(format: "%.2f", $0) } ?? "—") s "
            + "(server p99 \(serverP99.map { String(format: "%.2f", $0) } ?? "—") s; server CPU \(Int(fanOutCPU / Double(size) * 1e6)) µs per agent)")

        var result = FleetSizeResult(
            agents: size, servers: servers.count, store: postgres == nil ? "SQLite" : "PostgreSQL",
            enrollmentsPerSecond: Double(size) / enrollSeconds, idleRSSMiB: Double(idle.rssBytes) / 1_048_576,
            waitingRSSMiB: Double(parked.rssBytes) / 1_048_576, kibPerWaitingAgent: perAgent / 1024,
            waitingCPUSeconds: afterWait.cpuSeconds - parked.cpuSeconds, idleWindowSeconds: window,
            fanOutSeconds: fanOut, fanOutServerP99Seconds: serverP99, fanOutCPUMicrosecondsPerAgent: fanOutCPU / Double(size) * 1e6,
            failures: [:], date: ISO8601DateFormatter().string(from: Date()), machine: Self.machine
        )
        if !longPolls {
            for keepAlive in [true, false] {
                result.steadyState.append(try await steadyState(keepAlive: keepAlive, fleet: fleet, servers: servers, usage: usage))
            }
        }
        if options.restartServer {
            result.restart = try await restart(fleet: fleet, servers: servers, steady: try usage(), waiting: waiting)
        }
        try await store.close()
        result.failures = fleet.counts.withLock { $0.failures }
        let failed = result.failures.values.reduce(0, +)
        say(failed == 0 ? "no enrollment or check-in failed" : "failures: \(result.failures.sorted { $0.value > $1.value }.map { "\($0.value)× \($0.key)" }.joined(separator: "; "))")
        for loop in loops { loop.cancel() }
        for server in servers { await server.stop() }
        await postgres?.stop()
        return result
    }

    /// Server CPU per check-in while polls end and start again every `--poll-timeout`.
    func steadyState(
        keepAlive: Bool, fleet: SimulatedFleet, servers: [ServerUnderTest], usage: () throws -> Usage
    ) async throws -> FleetSizeResult.SteadyState {
        fleet.closeConnections.withLock { $0 = !keepAlive }
        // One whole poll period first, so every agent's connection is of the kind measured.
        try await Task.sleep(for: .seconds(options.pollTimeout + 5))
        let window = max(30, options.pollTimeout * 2)
        let before = try usage(), checkinsBefore = fleet.counts.withLock { $0.checkins }
        try await Task.sleep(for: .seconds(window))
        let cpu = try usage().cpuSeconds - before.cpuSeconds, checkins = fleet.counts.withLock { $0.checkins } - checkinsBefore
        let steady = FleetSizeResult.SteadyState(
            keepAlive: keepAlive, pollTimeoutSeconds: options.pollTimeout, windowSeconds: window, checkins: checkins,
            serverCPUSeconds: cpu, microsecondsPerCheckin: checkins == 0 ? 0 : cpu / Double(checkins) * 1e6
        )
        say("steady state \(keepAlive ? "with" : "without") keep-alive: \(checkins) check-ins in \(Int(window)) s, server CPU "
            + "\(String(format: "%.2f", cpu)) s: \(Int(steady.microsecondsPerCheckin)) µs per check-in")
        fleet.closeConnections.withLock { $0 = false }
        return steady
    }

    /// kill -9 under the whole fleet, start again on the same ports, and watch memory until every agent waits again.
    func restart(
        fleet: SimulatedFleet, servers: [ServerUnderTest], steady: Usage, waiting: () async -> Int
    ) async throws -> FleetSizeResult.Restart {
        let pacedBefore = fleet.counts.withLock { $0.paced }, refusedBefore = fleet.counts.withLock { $0.refusedKeys }
        let killed = Date()
        for server in servers { await server.kill() }
        for server in servers { try await server.start() }
        var peak = 0, back: Date?
        let deadline = killed.addingTimeInterval(180)
        while Date() < deadline {
            peak = max(peak, (try? servers.map { try $0.usage.rssBytes }.reduce(0, +)) ?? 0)
            if await waiting() >= size {
                back = Date()
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let result = FleetSizeResult.Restart(
            secondsUntilAllBack: back.map { $0.timeIntervalSince(killed) }, steadyRSSMiB: Double(steady.rssBytes) / 1_048_576,
            peakRSSMiB: Double(peak) / 1_048_576, paced: fleet.counts.withLock { $0.paced } - pacedBefore,
            refusedKeys: fleet.counts.withLock { $0.refusedKeys } - refusedBefore
        )
        say("after kill -9 and a restart, \(back == nil ? "not every agent was back within 180 s" : "every agent waited again after \(String(format: "%.1f", result.secondsUntilAllBack!)) s"); "
            + "RSS peaked at \(Int(result.peakRSSMiB)) MiB (steady \(Int(result.steadyRSSMiB)) MiB); \(result.paced) answers paced; \(result.refusedKeys) keys refused")
        return result
    }

    /// The 99th percentile of a Prometheus histogram, as the upper bound of the bucket it falls in.
    static func p99(_ samples: [String: Double], histogram: String) -> Double? {
        guard let count = samples["\(histogram)_count"], count > 0 else { return nil }
        let buckets = samples.compactMap { key, value -> (Double, Double)? in
            guard key.hasPrefix("\(histogram)_bucket{le=\""), let bound = Double(key.dropFirst(histogram.count + 12).dropLast(2)) else { return nil }
            return (bound, value)
        }.sorted { $0.0 < $1.0 }
        return buckets.first { $0.1 >= count * 0.99 }?.0
    }

    static var machine: String {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(cpus) cores (\(model)), \(memory) GiB"
    }
}
