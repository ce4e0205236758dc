@testable import FleetServer
import Foundation
import Testing

/// The gate that paces a fleet reconnecting at once: a request over the limit is told to come back, with the
/// contract's error shape and a Retry-After, and a place is given back however its request ended.
@Suite(.timeLimit(.minutes(1))) struct AdmissionGateTests {
    struct Failure: Error {}

    @Test func aRequestOverTheLimitIs503WithRetryAfterAndPlacesComeBack() async throws {
        let gate = AdmissionGate(limit: 1, retryAfterSeconds: 7)
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await gate.admitted("check-in") {
                enteredContinuation.yield()
                for await _ in release { break }
            }
        }
        for await _ in entered { break }
        #expect(gate.working == 1)
        do {
            try await gate.admitted("enrollment") {}
            Issue.record("a second request was admitted over a limit of one")
        } catch let error as APIError {
            #expect(error.status == .serviceUnavailable)
            #expect(error.headers[.retryAfter] == "7")
            #expect(error.message.contains("retry the enrollment in 7 s"))
        }
        releaseContinuation.yield()
        try await holder.value
        #expect(gate.working == 0)
        // A request that fails gives its place back too.
        await #expect(throws: Failure.self) { try await gate.admitted("check-in") { throw Failure() } }
        #expect(gate.working == 0)
        #expect(try await gate.admitted("check-in") { 42 } == 42)
    }
}
