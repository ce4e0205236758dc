import NIOConcurrencyHelpers

/// The client certificate of each open TLS connection, keyed by channel, read once at its handshake.
public final class PeerIdentities: Sendable {
    let identities = NIOLockedValueBox<[ObjectIdentifier: PeerIdentity]>([:])

    public init() {}

    func set(_ identity: PeerIdentity, for channel: ObjectIdentifier) {
        identities.withLockedValue { $0[channel] = identity }
    }

    func remove(_ channel: ObjectIdentifier) {
        identities.withLockedValue { $0[channel] = nil }
    }

    public func identity(for channel: ObjectIdentifier) -> PeerIdentity? {
        identities.withLockedValue { $0[channel] }
    }
}
