import FleetAgent
import FleetServer
import FleetTLS
import Foundation
import TestSupport

/// One `flotilla server` process the simulator runs, kills and starts again on the same ports, with its
/// `/metrics` read over plain HTTP and its memory and CPU read from /proc.
final class ServerUnderTest: @unchecked Sendable {  // `process` changes only between phases, from the main task
    let binary: String
    let arguments: [String]
    let port: Int
    let metricsPort: Int
    private(set) var process: BackgroundProcess?
    let metricsClient: HTTPClient

    init(binary: String, arguments: [String]) throws {
        self.binary = binary
        self.arguments = arguments
        port = try FreePort.onLoopback()
        metricsPort = try FreePort.onLoopback()
        metricsClient = try HTTPClient(
            endpoint: try HTTPEndpoint(url: "http://127.0.0.1:\(metricsPort)", allowPlain: true), tls: nil, role: "metrics listener"
        )
    }

    /// Starts the server and returns once it listens. Right after a kill -9 under thousands of connections the
    /// kernel may still hold a port for a moment: then it tries again, as a service manager would, for up to 30 s.
    func start() async throws {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let process = try BackgroundProcess(binary, arguments + [
                "--fleet-server-host", "127.0.0.1", "--fleet-server-port", "\(port)", "--metrics-port", "\(metricsPort)",
            ])
            self.process = process
            do {
                _ = try await process.line(containing: "Fleet Server metrics on http://", within: 60)
                return
            } catch where process.printed.contains("cannot listen") && Date() < deadline {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// kill -9: no graceful shutdown, no answer to waiting check-ins.
    func kill() async {
        _ = await process?.terminate(signal: SIGKILL)
    }

    func stop() async {
        _ = await process?.terminate(signal: SIGTERM, within: 30)
    }

    var usage: Usage {
        get throws { try Usage(pid: process?.processIdentifier ?? 0) }
    }

    /// The samples of one scrape, by name with labels (`flotilla_fleet_server_checkins_total{result="timeout"}`).
    func metrics() async throws -> [String: Double] {
        let answer = try await metricsClient.send(.GET, "/metrics", timeout: 10)
        return PrometheusSamples.parse(String(decoding: answer.body, as: UTF8.self))
    }

    /// One sample, 0 when the server does not answer (it is restarting).
    func metric(_ name: String) async -> Double {
        (try? await metrics()[name]) ?? 0
    }
}
