import Hummingbird
import NIOCore

/// The per-request context: which connection the request came on (to find its client certificate), and the
/// agent API's body limit.
public struct FleetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, to look its client certificate up in `PeerIdentities`.
    public let connection: ObjectIdentifier

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ObjectIdentifier(source.channel)
    }

    /// Bodies over 1 MiB get 413, as Elastic's Fleet Server does.
    public var maxUploadSize: Int { 1024 * 1024 }
}
