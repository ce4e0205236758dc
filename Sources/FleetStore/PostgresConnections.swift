import FleetTLS
import Logging
import PostgresNIO

/// A few connections to the store, opened on demand and reused. Opening fails at once with the link's sentence
/// (an outage answers 503 now, instead of queueing requests behind retries); a connection that broke is dropped.
actor PostgresConnections {
    let link: PostgresLink
    let logger: Logger
    let maximum: Int
    var idle: [PostgresConnection] = []
    var open = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
    var nextId = 0
    var closed = false

    /// Thrown when a connection was left in a state it cannot be reused in.
    struct Broken: Error {}

    init(link: PostgresLink, logger: Logger, maximum: Int = 4) {
        self.link = link
        self.logger = logger
        self.maximum = maximum
    }

    nonisolated func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch {
            // A server error leaves the connection usable; anything else may have broken it.
            if let failure = error as? PSQLError, failure.code == .server, !connection.isClosed {
                await giveBack(connection)
            } else {
                await discard(connection)
            }
            throw error
        }
    }

    /// A dedicated connection (for LISTEN), outside the pool.
    func dedicated() async throws(FlotillaError) -> PostgresConnection {
        nextId += 1
        return try await link.connect(id: nextId, logger: logger)
    }

    func lease() async throws -> PostgresConnection {
        while true {
            guard !closed else { throw FlotillaError("The store \(link.display) is closed") }
            if let connection = idle.popLast() {
                if connection.isClosed { open -= 1; continue }
                return connection
            }
            if open < maximum {
                open += 1
                nextId += 1
                do {
                    let connection = try await link.connect(id: nextId, logger: logger)
                    if closed {
                        discard(connection)
                        continue
                    }
                    return connection
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    func giveBack(_ connection: PostgresConnection) {
        guard !closed else { return discard(connection) }
        idle.append(connection)
        wakeOne()
    }

    func discard(_ connection: PostgresConnection) {
        open -= 1
        Task { try? await connection.close() }
        wakeOne()
    }

    func wakeOne() {
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }

    func close() async {
        closed = true
        let connections = idle
        idle.removeAll()
        for connection in connections { try? await connection.close() }
        for waiter in waiting { waiter.resume() }
        waiting.removeAll()
    }
}
