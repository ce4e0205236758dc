import FleetAgent
import Testing

/// An agent told to come back later (429 or 503 with Retry-After) waits that long and at most as much again,
/// so a fleet told the same thing spreads out instead of returning together.
@Suite struct RetryAfterTests {
    @Test func onlyPacingAnswersWithDeltaSecondsCount() {
        #expect(RetryAfter.seconds(status: 503, headers: ["retry-after": "5"]) == 5)
        #expect(RetryAfter.seconds(status: 429, headers: ["retry-after": "2"]) == 2)
        #expect(RetryAfter.seconds(status: 500, headers: ["retry-after": "5"]) == nil)
        #expect(RetryAfter.seconds(status: 503, headers: [:]) == nil)
        #expect(RetryAfter.seconds(status: 503, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"]) == nil)
        #expect(RetryAfter.seconds(status: 503, headers: ["retry-after": "999999"]) == 3600)
    }

    @Test func theDelayIsBetweenOnceAndTwiceTheAskAndSpreadsOut() {
        let delays = (0..<1000).map { _ in RetryAfter.delay(5) }
        #expect(delays.allSatisfy { (5...10).contains($0) })
        // Spread: a fleet of 1,000 does not land within one second.
        #expect(delays.max()! - delays.min()! > 3)
        #expect(RetryAfter.delay(0) >= 1)
    }
}
