import NIOConcurrencyHelpers

/// What the client needs to know about one connection after an exchange on it failed: the first error the
/// connection met (a proxy that refused the tunnel closes it before the request reaches the handler), and whether
/// any of the current response had arrived (only a request that got nothing back is sent again).
final class HTTPConnectionState: Sendable {
    private struct Values {
        var firstError: (any Error)?
        var answered = false
    }
    private let values = NIOLockedValueBox(Values())

    var firstError: (any Error)? { values.withLockedValue { $0.firstError } }
    var answered: Bool { values.withLockedValue { $0.answered } }

    func record(_ error: any Error) {
        values.withLockedValue { if $0.firstError == nil { $0.firstError = error } }
    }

    func startExchange() { values.withLockedValue { $0.answered = false } }
    func markAnswered() { values.withLockedValue { $0.answered = true } }
}
