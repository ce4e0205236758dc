/// How `Store.enroll(_:)` ended. Only `.enrolled` wrote anything.
public enum EnrollmentOutcome: Sendable, Equatable {
    /// The agent is enrolled; `replaced` when it took the place of an agent with the same id.
    case enrolled(replaced: Bool)
    /// The token has no use left, was revoked, expired or is gone.
    case tokenRefused
    /// An agent with this id is enrolled and the enrollment carried no replace token that matches its own.
    case agentExists

    /// Why an enrollment transaction is rolled back: thrown inside it, caught by the store and returned.
    struct Refusal: Error {
        let outcome: EnrollmentOutcome
    }
}
