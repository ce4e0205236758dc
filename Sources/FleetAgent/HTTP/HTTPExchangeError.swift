/// Why an exchange ended without a response.
enum HTTPExchangeError: Error {
    /// The connection closed before the response ended; `answered` tells whether any of it had arrived, since only
    /// a request that got nothing back may be sent again on a new connection.
    case closed(answered: Bool)
    case responseTooLarge(limit: Int)
    case timedOut
}
