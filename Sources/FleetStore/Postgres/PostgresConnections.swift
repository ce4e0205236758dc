import FleetTLS
import Logging
import PostgresNIO

/// A few connections to the store, opened on demand and reused. Opening fails at once with the link's sentence
/// (an outage answers 503 now, instead of queueing requests behind retries); a connection that broke is dropped.
actor PostgresConnections {
    /// Replaced by `relink`; connections opened with an earlier link are closed as they come back.
    private(set) var link: PostgresLink
    /// Ids below this belong to an earlier link.
    var firstCurrentId = 0
    let logger: Logger
    let maximum: Int
    var idle: [PostgresConnection] = []
    var open = 0
    /// Requests waiting for a connection; each is told `true` (try again) or `false` (waited too long).
    var waiting: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    var nextWaiter = 0
    /// How long a request waits for a free connection before it is answered 503.
    let patience: Duration
    var nextId = 0
    var closed = false

    /// Thrown when a connection was left in a state it cannot be reused in.
    struct Broken: Error {}

    /// Thrown by a transaction that failed and was rolled back cleanly: its connection is as good as before.
    struct RolledBack: Error {
        let error: any Error
    }

    init(link: PostgresLink, logger: Logger, maximum: Int = 4, patience: Duration = .seconds(10)) {
        self.link = link
        self.logger = logger
        self.maximum = maximum
        self.patience = patience
    }

    nonisolated func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch {
            // A server error leaves the connection usable; anything else may have broken it.
            if error is RolledBack || (error as? PSQLError)?.code == .server, !connection.isClosed {
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
            nextWaiter += 1
            let waiter = nextWaiter
            let timer = Task { [patience] in
                guard (try? await Task.sleep(for: patience)) != nil else { return }
                self.giveUp(waiter)
            }
            let granted = await withCheckedContinuation { waiting.append((waiter, $0)) }
            timer.cancel()
            guard granted else {
                throw FlotillaError("The store \(link.display) is busy: no connection came free in time", hint: "the request is answered 503 and retried; check the store's health")
            }
        }
    }

    /// A waiter that waited too long is told so; one already served is not there any more.
    func giveUp(_ waiter: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == waiter }) else { return }
        waiting.remove(at: index).continuation.resume(returning: false)
    }

    func giveBack(_ connection: PostgresConnection) {
        guard !closed, connection.id >= firstCurrentId else { return discard(connection) }
        idle.append(connection)
        wakeOne()
    }

    func discard(_ connection: PostgresConnection) {
        open -= 1
        Task { try? await connection.close() }
        wakeOne()
    }

    func wakeOne() {
        if !waiting.isEmpty { waiting.removeFirst().continuation.resume(returning: true) }
    }

    /// Uses `new` for every connection from now on, once one connection through it works: a link that fails
    /// leaves everything as it was. Idle connections of the old link close now, leased ones when given back.
    func relink(_ new: PostgresLink) async throws(FlotillaError) {
        nextId += 1
        let probe = try await new.connect(id: nextId, logger: logger)
        link = new
        firstCurrentId = nextId
        let old = idle
        idle = [probe]
        open += 1 - old.count
        for connection in old { Task { try? await connection.close() } }
        wakeOne()
    }

    func close() async {
        closed = true
        let connections = idle
        idle.removeAll()
        for connection in connections { try? await connection.close() }
        for waiter in waiting { waiter.continuation.resume(returning: true) }
        waiting.removeAll()
    }
}
