import Hummingbird
import NIOCore

import FleetTLS

/// The per-request context: which connection the request came on and from where, the agent's client certificate
/// (set by `PeerIdentityMiddleware`, from the connection or a trusted proxy), and the agent API's body limit.
public struct FleetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, to look its client certificate up in `PeerIdentities`.
    public let connection: ObjectIdentifier
    /// The IP address the connection comes from: the agent's, or a reverse proxy's.
    public let remoteAddress: String?
    /// The agent's client certificate, if it presented one.
    public var peer: PeerIdentity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ObjectIdentifier(source.channel)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies over 1 MiB get 413, as Elastic's Fleet Server does.
    public var maxUploadSize: Int { 1024 * 1024 }
}
