import FleetAgent
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging

/// A Fleet Server run inside the agent's own process (`install --fleet-server-*`). It lives in the composition,
/// not in FleetAgent: the agent library knows Fleet Server only over the wire. The agent relies on it only once
/// it answers `GET /api/status` as HEALTHY through the agent's own TLS settings, so a server certificate the agent
/// would refuse is found before anything is written.
struct LocalFleetServer: Sendable {
    let configuration: FleetServerConfiguration
    let logger: Logger

    init(configuration: FleetServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the Fleet Server, waits until it is healthy as the agent sees it (`agent` names the URL and TLS the
    /// agent uses; the connection goes to the bound loopback port), then runs `body` with the server and the
    /// agent's connection options. The server stops when `body` returns; if the server stops first (SIGTERM),
    /// `body` is cancelled and the result is nil.
    func run<T: Sendable>(
        agentURL: String,
        agentTLS: TLSSettings,
        options: FleetConnectionOptions,
        healthTimeout: Double,
        body: @escaping @Sendable (FleetServer, FleetConnectionOptions) async throws -> T
    ) async throws -> T? {
        let server = try await FleetServer(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Result<T?, any Error>?.self) { group in
            let (listening, ready) = AsyncStream.makeStream(of: Int.self)
            group.addTask {
                defer { ready.finish() }
                try await server.run { port in ready.yield(port) }
                return nil
            }
            group.addTask {
                var ports = listening.makeAsyncIterator()
                // No port: the server failed to start, and its own task reports why.
                guard let port = await ports.next() else { return nil }
                var local = options
                local.localFleetServerPort = port
                let options = local
                do {
                    let connection = try FleetConnection(url: agentURL, tls: agentTLS, options: options)
                    try await Self.waitUntilHealthy(connection, timeout: healthTimeout)
                    return .success(try await Self.untilStopping(server) { try await body(server, options) })
                } catch {
                    return .failure(error)
                }
            }
            var result: Result<T?, any Error>?
            while true {
                do {
                    guard let ended = try await group.next() else { break }
                    if let outcome = ended {
                        // Stopped as SIGTERM would stop it: cancelling it mid-flight would cut connections and log errors.
                        result = outcome
                        await server.stop()
                    }
                } catch {
                    // The server failed. If the agent's work was already done (enrolled), that result stands.
                    guard case .success = result else { throw error }
                    logger.error("Fleet Server stopped with an error after the agent was done: \(error)")
                }
            }
            return try result?.get() ?? nil
        }
    }

    /// Runs `body`, cancelling it as soon as the server begins to shut down (SIGTERM), so the agent stops before
    /// its server's listener closes rather than after a last check-in finds it gone. Nil when it was stopped so.
    static func untilStopping<T: Sendable>(_ server: FleetServer, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: BodyOrStopping<T>.self) { group in
            group.addTask { .body(try await body()) }
            group.addTask {
                await server.waitUntilStopping()
                return .stopping
            }
            guard case .body(let value) = try await group.next() else {
                // Whatever the cancelled body ends with (an error, most likely) is the stop itself.
                group.cancelAll()
                while (try? await group.next()) != nil {}
                return nil
            }
            group.cancelAll()
            return value
        }
    }

    /// Polls `/api/status` until HEALTHY. A TLS refusal is final (it will not fix itself); a degraded or busy
    /// server is asked again until `timeout`.
    static func waitUntilHealthy(_ connection: FleetConnection, timeout: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var last = "it did not answer"
        while ContinuousClock.now < deadline {
            do {
                let answer = try await connection.send("GET", "/api/status", timeout: 10)
                if answer.status == 200 { return }
                last = "it answered /api/status with \(answer.status): \(answer.message)"
            } catch {
                throw FlotillaError("The agent cannot use the Fleet Server it runs: \(error.message)", hint: error.hint ?? "check --certificate-authorities against --fleet-server-cert")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FlotillaError("The Fleet Server in this process was not healthy within \(Int(timeout)) s: \(last)", hint: "raise --fleet-server-timeout or check the store")
    }

    /// An enrollment token the agent spends on itself: one use, ten minutes, on the Fleet Server policy.
    static func selfEnrollmentToken(_ server: FleetServer) async throws -> String {
        let policy = server.configuration.policyId ?? StoreSetup.fleetServerPolicyId
        let made = try await StoreSetup.createEnrollmentToken(
            server.store, policyId: policy, name: "fleet-server-bootstrap-\(ProcessInfo.processInfo.hostName)",
            expiresAt: Date().addingTimeInterval(600), maxUses: 1
        )
        return made.secret
    }
}

/// Which of `untilStopping`'s two tasks ended first.
private enum BodyOrStopping<T: Sendable>: Sendable {
    case body(T)
    case stopping
}
