import FleetProtocol

/// The long poll under way, and whether something beside it asked to cut it short; a request that comes between two
/// polls cuts the next one.
struct PollControl: Sendable {
    var task: Task<FleetConnection.Answer, any Error>?
    var interrupted = false
}
