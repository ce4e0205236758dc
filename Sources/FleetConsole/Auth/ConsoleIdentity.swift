/// Who makes a request: a user logged in through the UI, or an API key; written into the audit log.
public struct ConsoleIdentity: Sendable, Equatable {
    public var name: String
    public var role: ConsoleRole
    /// The session's CSRF token, which every form and every cookie-authenticated write must carry; nil for API keys.
    public var csrfToken: String?

    /// How the audit log names it: `user:alice` or `api_key:ci`.
    public var actor: String
}
