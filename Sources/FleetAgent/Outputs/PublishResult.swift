/// What became of each event of a batch, by its position in the batch.
public struct PublishResult: Sendable, Equatable {
    /// Events to send again (429, 5xx for the item).
    public var retry: [Int]
    /// Events the output refused for good (a mapping error), with its status and reason: they go to the
    /// dead-letter file.
    public var refused: [Refusal]

    public struct Refusal: Sendable, Equatable {
        public var position: Int
        public var status: Int
        public var reason: String
    }

    /// The request was too large for the output: the events in `retry` go again in smaller requests.
    public var tooLarge: Bool

    public init(retry: [Int] = [], refused: [Refusal] = [], tooLarge: Bool = false) {
        self.retry = retry
        self.refused = refused
        self.tooLarge = tooLarge
    }

    public static let delivered = PublishResult()
}
