/// The JSON body of every non-2xx answer, so agents can log a reason and branch on `statusCode`.
public struct ErrorResponse: Sendable, Codable, Equatable, Error {
    /// Repeats the HTTP status, for clients that only keep the body.
    public var statusCode: Int
    /// A short, stable error name (e.g. `BadRequest`, `AgentNotFound`) that clients can match on.
    public var error: String
    /// Human-readable detail; omitted when the error name says it all.
    public var message: String?

    public init(statusCode: Int, error: String, message: String? = nil) {
        self.statusCode = statusCode
        self.error = error
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case statusCode
        case error
        case message
    }
}
