/// An upgrade running beside the check-ins: the binary's size, and where the bytes go once the download started.
struct UpgradeWork: Sendable {
    /// The binary's size as the action gives it, for the progress.
    var expectedSize: Int64?
    var sink: HTTPBodySink?
}
