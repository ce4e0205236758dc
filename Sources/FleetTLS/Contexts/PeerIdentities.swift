import NIOConcurrencyHelpers
import NIOCore

/// The client certificate of each open TLS connection, keyed by channel, read once at its handshake; and the rule
/// that refuses a certificate there (a revoked one), which can also close connections already open.
public final class PeerIdentities: Sendable {
    struct Entry {
        let identity: PeerIdentity
        let channel: any Channel
    }
    let entries = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])
    /// Why a certificate may not be used (revoked...), or nil when it may.
    let refusal: @Sendable (PeerIdentity) -> String?

    /// - Parameter refusal: asked at every handshake; a reason closes the connection before any request is read.
    public init(refusal: @escaping @Sendable (PeerIdentity) -> String? = { _ in nil }) {
        self.refusal = refusal
    }

    /// Keeps the identity of a new connection, or returns why it is refused (the caller closes it).
    func admit(_ identity: PeerIdentity, channel: any Channel) -> String? {
        if identity.fingerprint != nil, let reason = refusal(identity) { return reason }
        entries.withLockedValue { $0[ObjectIdentifier(channel)] = Entry(identity: identity, channel: channel) }
        return nil
    }

    func remove(_ channel: ObjectIdentifier) {
        entries.withLockedValue { $0[channel] = nil }
    }

    public func identity(for channel: ObjectIdentifier) -> PeerIdentity? {
        entries.withLockedValue { $0[channel]?.identity }
    }

    /// Closes every open connection whose certificate `refusal` now refuses; returns who was cut off.
    @discardableResult
    public func closeRefused() -> [(identity: PeerIdentity, reason: String)] {
        let refused = entries.withLockedValue { entries in
            entries.values.compactMap { entry -> (Entry, String)? in
                guard entry.identity.fingerprint != nil, let reason = refusal(entry.identity) else { return nil }
                return (entry, reason)
            }
        }
        for (entry, _) in refused { entry.channel.close(promise: nil) }
        return refused.map { ($0.0.identity, $0.1) }
    }

    /// How many TLS connections are open now.
    public var count: Int { entries.withLockedValue { $0.count } }
}
