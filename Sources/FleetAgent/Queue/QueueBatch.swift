/// Events read from the queue together, acknowledged together once the output has them all.
public struct QueueBatch: Sendable {
    public var events: [QueuedEvent]
    /// The position after the last event: acknowledging the batch moves the queue's start there.
    public var end: QueuePosition
    /// Bytes the batch's records take in the segments.
    public var bytes: Int
}
