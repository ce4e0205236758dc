import FleetTLS
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import X509

/// Puts the agent's client certificate into the request context: the one the connection presented, or, behind a
/// reverse proxy that terminates the agents' mutual TLS (nginx's `$ssl_client_escaped_cert`), the one the proxy
/// passes in `client_certificate_header`.
///
/// The header is believed only from a `trusted_proxies` address, on a connection on which the proxy itself
/// presented a client certificate this server accepted; the passed certificate is checked again against the
/// server's client CAs. Anywhere else a request carrying the header is refused and logged: a forged certificate
/// must never become an agent's identity.
struct PeerIdentityMiddleware: RouterMiddleware {
    typealias Context = FleetRequestContext

    let identities: PeerIdentities
    let trustedProxies: AddressRanges
    let header: HTTPField.Name
    let tls: TLSServerContext?
    let logger: Logger
    /// Verdicts on passed certificates by fingerprint, for a few minutes: an agent's long polls do not pay for a
    /// chain check each.
    let verdicts = NIOLockedValueBox<[String: (identity: PeerIdentity, until: Date)]>([:])

    func handle(
        _ request: Request, context: FleetRequestContext, next: (Request, FleetRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let connection = identities.identity(for: context.connection)
        let address = context.remoteAddress ?? "unknown"
        guard let passed = request.headers[header] else {
            // A trusted proxy leaves the header out when the agent presented no certificate (nginx drops a header
            // whose value is empty); the certificate on this connection is the proxy's own, not an agent's.
            // Without trusted proxies (the usual case) no address is parsed on the check-in path.
            context.peer = !trustedProxies.isEmpty && trustedProxies.contains(address) ? nil : connection
            return try await next(request, context)
        }
        guard trustedProxies.contains(address) else {
            return try refuse("from \(address), which is not among the trusted proxies (trusted_proxies, --trusted-proxy)")
        }
        guard let connection, connection.fingerprint != nil else {
            return try refuse("from the proxy at \(address) on a connection on which it presented no client certificate")
        }
        let text = passed.removingPercentEncoding ?? passed
        // An empty header is the proxy saying the agent presented no certificate.
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            context.peer = nil
            return try await next(request, context)
        }
        context.peer = try await verified(text, from: address, forwardedFor: request.headers[.init("X-Forwarded-For")!])
        return try await next(request, context)
    }

    func refuse(_ reason: String) throws -> Response {
        logger.warning("Refused a request with a \(header) header \(reason)")
        throw APIError(.forbidden, "The \(header) header is accepted only from a trusted proxy that presents its own client certificate")
    }

    /// The passed certificate, checked against the client CAs as a handshake would check it.
    func verified(_ pem: String, from proxy: String, forwardedFor: String?) async throws -> PeerIdentity {
        let certificate: Certificate
        do { certificate = try Certificate(pemEncoded: pem) } catch {
            logger.warning("Refused a request from the proxy at \(proxy): its \(header) header holds no PEM certificate")
            throw APIError(.badRequest, "The \(header) header holds no PEM certificate")
        }
        let fingerprint = certificate.sha256Fingerprint
        if let cached = verdicts.withLockedValue({ $0[fingerprint] }), cached.until > Date() { return cached.identity }
        let verifier = PeerVerifier(peer: .client, authorities: tls?.clientAuthorities ?? [])
        if case .rejected(let reason) = await verifier.verify([certificate]) {
            logger.warning("Refused the agent certificate passed by the proxy at \(proxy): \(reason)")
            throw APIError(.forbidden, "The client certificate the proxy passed was refused: \(reason)")
        }
        let agent = forwardedFor?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
        let identity = PeerIdentity(
            subject: certificate.displayName, fingerprint: fingerprint, issuer: certificate.issuer.description,
            notAfter: certificate.notValidAfter, address: "\(agent ?? "?") through the proxy at \(proxy)",
            agentId: certificate.flotillaAgentId
        )
        verdicts.withLockedValue { cache in
            if cache.count > 50_000 { cache.removeAll() }
            cache[fingerprint] = (identity, min(Date().addingTimeInterval(300), certificate.notValidAfter))
        }
        return identity
    }
}
