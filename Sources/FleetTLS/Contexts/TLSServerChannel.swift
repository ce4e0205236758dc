import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's child channel with Flotilla's TLS in front, for every listener (Fleet Server, console): each
/// connection takes the TLS context current at its accept (so certificates and client CAs reload without a
/// restart), failed handshakes are logged as sentences, and, given `identities`, the client certificate is read
/// once per connection into it.
public struct TLSServerChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    public typealias Value = BaseChannel.Value

    let base: BaseChannel
    let tls: TLSServerContext
    let identities: PeerIdentities?
    let logger: Logger
    let onFailure: (@Sendable (HandshakeDiagnosis.ServerFailure) -> Void)?

    /// - Parameters:
    ///   - identities: where each connection's client certificate is kept; nil where nobody asks (the console).
    ///   - onFailure: told why each failed handshake failed, for a count.
    public init(
        base: BaseChannel, tls: TLSServerContext, identities: PeerIdentities?, logger: Logger,
        onFailure: (@Sendable (HandshakeDiagnosis.ServerFailure) -> Void)? = nil
    ) {
        self.base = base
        self.tls = tls
        self.identities = identities
        self.logger = logger
        self.onFailure = onFailure
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let key = ObjectIdentifier(channel)
        let identities = self.identities
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
            var record: (@Sendable (PeerIdentity) -> String?)?
            if let identities {
                record = { identity in identities.admit(identity, channel: channel) }
                channel.closeFuture.whenComplete { _ in identities.remove(key) }
            }
            try channel.pipeline.syncOperations.addHandler(TLSEventLogger(
                logger: self.logger, server: tls, onHandshake: record, onFailure: self.onFailure
            ))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension TLSServerChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    public var responder: HTTPChannelHandler.Responder { base.responder }
}
