/// An error a user can meet: what is wrong and what to do, rendered by the CLI as one sentence.
///
/// Messages name the file or flag involved and never contain secrets (passphrases, keys, tokens).
public struct FlotillaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the file, flag or peer involved.
    public var message: String
    /// What to do about it; `nil` when the message already says it.
    public var hint: String?
    /// How long the peer asked to be left alone (an HTTP Retry-After), when it did: the caller waits that long,
    /// with jitter, instead of its own backoff.
    public var retryAfterSeconds: Double?

    public init(_ message: String, hint: String? = nil, retryAfterSeconds: Double? = nil) {
        self.message = message
        self.hint = hint
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        guard let hint else { return message }
        return "\(message): \(hint)"
    }
}
