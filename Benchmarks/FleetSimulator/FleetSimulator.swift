import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport

/// The fleet simulator: agents over mutual TLS against real `flotilla server` processes. For each fleet size it
/// measures enrollment, the server's memory and CPU per waiting agent, how long one policy change takes to reach
/// every agent, and on request the steady state of polls ending every `--poll-timeout` (with and without kept-alive
/// connections) and a kill -9 of the server under the whole fleet. Run it against a release build:
///
///   swift build -c release --product flotilla && swift build -c release --product fleet-simulator
///   .build/release/fleet-simulator --agents 1000,5000 --json fleet.json --plot fleet.png
@main struct FleetSimulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-simulator",
        abstract: "Agents over mutual TLS against real flotilla servers: memory per agent, fan-out, steady state, restarts."
    )

    @Option(help: "Fleet sizes to measure, comma-separated; each gets fresh servers.")
    var agents = "1000"

    @Option(help: "The flotilla binary to run as the Fleet Server.")
    var flotilla = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path

    @Option(help: "Enrollments in flight at once.")
    var concurrency = 200

    @Option(help: "Seconds a check-in waits before it is answered with nothing new; 120 or less also measures the steady state.")
    var pollTimeout: Double = 900

    @Flag(help: "Kill -9 the Fleet Server under the whole fleet, start it again, and measure the way back.")
    var restartServer = false

    @Flag(help: "Fleet Servers on a private PostgreSQL over verified TLS (at least two).")
    var postgres = false

    @Option(help: "How many Fleet Servers share the fleet.")
    var servers = 1

    @Option(help: "Write the results as JSON here.")
    var json: String?

    @Option(help: "Draw memory per agent and fan-out time against fleet size into this PNG (needs python3 with matplotlib).")
    var plot: String?

    @Option(help: "Stop with an error after this many seconds in all.")
    var timeLimit: Double = 3600

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--agents takes positive numbers, like 1000,5000") }
        guard servers == 1 || postgres else { throw ValidationError("several servers need --postgres") }
        guard FileManager.default.isExecutableFile(atPath: flotilla) else {
            throw ValidationError("--flotilla \(flotilla) is not an executable: build it with swift build -c release --product flotilla")
        }
    }

    var sizes: [Int] { agents.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        // The client side holds one connection per agent, as the server does.
        if let files = OpenFilesLimit.raise(), files.agentCapacity < sizes.max()! {
            print("warning: this process may open \(files.soft) files, fewer than \(sizes.max()!) agents need")
        }
        let limit = timeLimit
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(limit))
            FileHandle.standardError.write(Data("fleet-simulator: the run took longer than --time-limit \(Int(limit)) s; stopping\n".utf8))
            Glibc.exit(2)
        }
        defer { watchdog.cancel() }
        var results: [FleetSizeResult] = []
        for size in sizes {
            var run = SimulationRun(options: self, agents: size)
            results.append(try await run.measure())
            try write(results)
        }
        if let plot, let json {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("plot-fleet.py").path
            let drawn = try await ProcessRunner.run("python3", [script, json, plot])
            print(drawn.status == 0 ? "plot written to \(plot)" : "the plot was not drawn: \(drawn.output)")
        } else if plot != nil {
            print("--plot needs --json: the plot is drawn from the JSON results")
        }
    }

    func write(_ results: [FleetSizeResult]) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: json))
    }
}
