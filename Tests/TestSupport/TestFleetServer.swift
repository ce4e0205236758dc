import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging

/// A Fleet Server in the test process, on a free loopback port, with its own initialized store and the seed's
/// certificates. Its store is at hand so a test can change policies and add actions as the console would.
public final class TestFleetServer: Sendable {
    public let server: FleetServer
    public let port: Int
    public let enrollmentToken: String
    public let directory: TemporaryDirectory
    public let logs: LogCapture
    let task: Task<Void, any Error>

    public var store: any Store { server.store }

    /// Where a test Fleet Server keeps its state.
    public enum StoreChoice: Sendable {
        /// A fresh SQLite file, initialized.
        case sqlite
        /// A PostgreSQL database already initialized (`PostgresInstance.initializeStore`), which several servers may share.
        case postgres(PostgresInstance, database: String, secrets: StoreSetup.Initialized, certificateRole: Bool = false)
    }

    public static func start(
        clientAuth: TLSSettings.ClientAuth = .none,
        store: StoreChoice = .sqlite,
        adjust: (inout FleetServerConfiguration) -> Void = { _ in }
    ) async throws -> TestFleetServer {
        let certs = CertificateFixtures.shared
        let directory = TemporaryDirectory("flotilla-server")
        var configuration = FleetServerConfiguration()
        let initialized: StoreSetup.Initialized
        switch store {
        case .sqlite:
            let storePath = directory.file("fleet.sqlite")
            let setupStore = try SQLiteStore(path: storePath)
            initialized = try await StoreSetup.initialize(setupStore)
            try await setupStore.close()
            configuration.store = storePath
        case .postgres(let instance, let database, let secrets, let certificateRole):
            instance.configure(&configuration, database: database, certificateRole: certificateRole)
            initialized = secrets
        }
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.serviceToken = initialized.serviceToken
        configuration.tls = certs.serverSettings(clientAuth: clientAuth)
        configuration.publicURLs = ["https://localhost:8220"]
        configuration.checkinFlushSeconds = 0.1
        adjust(&configuration)

        let logs = LogCapture()
        let server = try await FleetServer(configuration: configuration, logger: logs.logger("fleet-server"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return TestFleetServer(server: server, port: port, enrollmentToken: initialized.enrollmentToken, directory: directory, logs: logs, task: task)
    }

    init(server: FleetServer, port: Int, enrollmentToken: String, directory: TemporaryDirectory, logs: LogCapture, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.enrollmentToken = enrollmentToken
        self.directory = directory
        self.logs = logs
        self.task = task
    }

    /// A client trusting fleet-ca; with `mutual`, presenting agent-cert.
    public func client(mutual: Bool = false) throws -> FleetAgentClient {
        FleetAgentClient(port: port, tls: try TLSClientContext(settings: CertificateFixtures.shared.clientSettings(mutual: mutual)))
    }

    /// An enrolled agent.
    public func enrolledAgent(mutual: Bool = false) async throws -> FleetAgentClient {
        var client = try client(mutual: mutual)
        let reply = try await client.enroll(token: enrollmentToken)
        guard reply.status == 200 else { throw FlotillaError("enroll failed: \(reply.status) \(reply.body)") }
        return client
    }

    /// Waits until `count` check-ins are parked in the hub (readiness, not a sleep).
    public func waitForWaitingCheckins(_ count: Int) async -> Bool {
        for _ in 0..<1000 {
            if server.waitingCheckins >= count { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Waits (bounded) for the server to stop on its own, and returns the error it stopped with.
    public func stoppedWithError(within seconds: Double = 15) async -> (any Error)? {
        let waiter = Task { () -> (any Error)? in
            do { try await task.value; return nil } catch { return error }
        }
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            waiter.cancel()
            task.cancel()
        }
        defer { timer.cancel() }
        return await waiter.value
    }

    /// Stops as SIGTERM does (a cancelled Hummingbird server drops connections it accepted but had not begun to
    /// serve, which NIO treats as a programming error); cancelled if the graceful stop takes over 20 s.
    public func stop() async {
        await server.stop()
        let timer = Task {
            try? await Task.sleep(for: .seconds(20))
            task.cancel()
        }
        _ = try? await task.value
        timer.cancel()
        directory.remove()
    }
}
