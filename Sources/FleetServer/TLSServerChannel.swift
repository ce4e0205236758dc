import FleetStore
import FleetTLS
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's child channel with Flotilla's TLS in front: each connection takes the TLS context current at its
/// accept (so certificates and client CAs reload without a restart), failed handshakes are logged as sentences,
/// and the client certificate is read once per connection into `PeerIdentities`.
struct TLSServerChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    let base: BaseChannel
    let tls: TLSServerContext
    let identities: PeerIdentities
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let key = ObjectIdentifier(channel)
        let identities = self.identities
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
            try channel.pipeline.syncOperations.addHandler(TLSEventLogger(logger: self.logger, server: tls) { identity in
                identities.set(identity, for: key)
            })
            channel.closeFuture.whenComplete { _ in identities.remove(key) }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension TLSServerChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

/// The client certificate of each open TLS connection, keyed by channel, read once at its handshake.
public final class PeerIdentities: Sendable {
    let identities = LockedBox<[ObjectIdentifier: PeerIdentity]>([:])

    public init() {}

    func set(_ identity: PeerIdentity, for channel: ObjectIdentifier) {
        identities.withLock { $0[channel] = identity }
    }

    func remove(_ channel: ObjectIdentifier) {
        identities.withLock { $0[channel] = nil }
    }

    public func identity(for channel: ObjectIdentifier) -> PeerIdentity? {
        identities.withLock { $0[channel] }
    }
}
