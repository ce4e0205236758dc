@testable import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The store's small connection pool: a request that finds every connection busy waits, but not for ever.
@Suite(.timeLimit(.minutes(5))) struct PostgresConnectionsTests {
    @Test func aRequestWaitsForAFreeConnectionAndGivesUpAfterItsPatience() async throws {
        let pg = try await PostgresInstance.shared.value
        let link = try PostgresLink(url: pg.url(), tls: TLSSettings(certificateAuthorities: [pg.cert("es-ca.crt")]), passwordFile: pg.passwordFile, environment: [:])
        let pool = PostgresConnections(link: link, logger: Logger(label: "test"), maximum: 1, patience: .milliseconds(300))
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await pool.withConnection { _ in
                for await _ in held { break }
            }
        }
        // Wait until the one connection is taken.
        #expect(await eventually(within: 30) { await pool.open == 1 }, "the pool never opened its one connection")

        await #expect(throws: FlotillaError.self) {
            try await pool.withConnection { _ in }
        }
        // Given back, it serves the next request.
        release.yield()
        try await holder.value
        let answer = try await pool.withConnection { connection in
            try await connection.query("SELECT 1", logger: Logger(label: "test")).collect().count
        }
        #expect(answer == 1)
        await pool.close()
    }
}
