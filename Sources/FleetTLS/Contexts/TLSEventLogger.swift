import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Who the peer of a TLS connection is, read once per connection when its handshake completes.
public struct PeerIdentity: Sendable, Equatable {
    /// The client certificate's subject, when one was presented.
    public var subject: String?
    /// Hex SHA-256 of the client certificate.
    public var fingerprint: String?
    /// Its issuer and expiry, so the console can tell whether new client CAs would still accept it.
    public var issuer: String?
    public var notAfter: Date?
    public var address: String
    /// The agent the certificate is bound to, when Flotilla issued it (its URI SAN).
    public var agentId: String?

    public init(subject: String?, fingerprint: String?, issuer: String?, notAfter: Date?, address: String, agentId: String? = nil) {
        self.agentId = agentId
        self.subject = subject
        self.fingerprint = fingerprint
        self.issuer = issuer
        self.notAfter = notAfter
        self.address = address
    }
}

/// Sits after `NIOSSLServerHandler`: logs every failed handshake as a sentence (HummingbirdTLS logs none), and
/// reads the client certificate once per connection, not per request.
public final class TLSEventLogger: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    let logger: Logger
    let server: TLSServerContext
    /// Told each client certificate; a reason it returns refuses the connection (a revoked certificate).
    let onHandshake: (@Sendable (PeerIdentity) -> String?)?
    /// Told each failed handshake's reason (a routine disconnect is none), for a count.
    let onFailure: (@Sendable (HandshakeDiagnosis.ServerFailure) -> Void)?

    public init(
        logger: Logger, server: TLSServerContext, onHandshake: (@Sendable (PeerIdentity) -> String?)? = nil,
        onFailure: (@Sendable (HandshakeDiagnosis.ServerFailure) -> Void)? = nil
    ) {
        self.logger = logger
        self.server = server
        self.onHandshake = onHandshake
        self.onFailure = onFailure
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let certificate = peerCertificate(context)
            let identity = PeerIdentity(
                subject: certificate?.displayName, fingerprint: certificate?.sha256Fingerprint,
                issuer: certificate?.issuer.description, notAfter: certificate?.notValidAfter, address: peerAddress(context),
                agentId: certificate?.flotillaAgentId
            )
            logger.debug("TLS handshake completed", metadata: ["peer": "\(identity.address)", "client_certificate": "\(identity.subject ?? "none")"])
            if let reason = onHandshake?(identity) {
                // Closed before any request is read: the certificate is refused as surely as at the handshake.
                logger.warning("Refused the client certificate \(identity.subject ?? "?") from \(identity.address): \(reason)")
                onFailure?(.clientCertificateRevoked)
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let peer = peerAddress(context)
        let failure = HandshakeDiagnosis.ServerFailure(error)
        if !Self.isPlainDisconnect(error), error is NIOSSLError || error is BoringSSLError {
            onFailure?(failure)
        }
        // BoringSSL hides why it refused a client certificate; check the chain again to say why.
        if failure == .clientCertificateRejected, let certificate = peerCertificate(context) {
            let verifier = PeerVerifier(peer: .client, authorities: server.clientAuthorities)
            let logger = self.logger
            Task {
                let reason: String? = if case .rejected(let why) = await verifier.verify([certificate]) { why } else { nil }
                logger.warning("\(HandshakeDiagnosis.serverFailure(error, peer: peer, clientCertificateRejection: reason))")
            }
        } else if !Self.isPlainDisconnect(error) {
            logger.warning("\(HandshakeDiagnosis.serverFailure(error, peer: peer, clientCertificateRejection: nil))")
        }
        context.fireErrorCaught(error)
    }

    /// A client that hangs up without a TLS close_notify (curl does it), or resets the connection (an agent that
    /// stops mid-handshake), is routine, not a failure to log.
    static func isPlainDisconnect(_ error: any Error) -> Bool {
        if case NIOSSLError.uncleanShutdown = error { return true }
        if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE { return true }
        return false
    }

    func peerCertificate(_ context: ChannelHandlerContext) -> Certificate? {
        guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let nio = handler.peerCertificate,
              let der = try? nio.toDERBytes()
        else { return nil }
        return try? Certificate(derEncoded: der)
    }

    func peerAddress(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
    }
}
