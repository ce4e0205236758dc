import FleetTLS

/// A Fleet connection and what it was made from.
struct FleetConnectionCache: Sendable {
    struct Key: Equatable, Sendable {
        var url: String
        var tls: TLSSettings
        var options: FleetConnectionOptions
    }
    var key: Key
    var connection: FleetConnection
}
