/// How a `logfile` input writes its lines as events: the limit, the data stream, the fields every event of the
/// input shares (made once), and the time of this read.
struct LineFormat {
    var maximumLine: Int
    var index: String
    /// `,"input":…,"tags":[…]}`: closes the document.
    var suffix: [UInt8]
    var timestamp: [UInt8]
}
