import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import X509

extension HandshakeDiagnosis {
    /// Whether `error` says the server refused this client's own certificate (untrusted, expired, bad): the
    /// sentences above name it "this client's certificate", and only those do.
    public static func refusedOwnCertificate(_ error: FlotillaError) -> Bool {
        error.message.contains("this client's certificate")
    }
}

/// Turns TLS failures into one sentence that says who refused whom and why, in place of BoringSSL's codes.
public enum HandshakeDiagnosis {
    /// A client's view: connecting to `server` ("Fleet Server at fleet.example.com:8220") failed with `error`.
    public static func clientFailure(
        _ error: any Error,
        server: String,
        report: HandshakeReport?,
        client: TLSClientContext?
    ) -> FlotillaError {
        if let rejection = report?.rejection {
            return FlotillaError("Refused the \(server): \(rejection)", hint: caHint(client))
        }
        let ownCertificate = client?.identity.map { "this client's certificate \($0.certificate.displayName)" }
        let codes = boringSSLCodes(error)
        if codes.contains("CERTIFICATE_REQUIRED") || (ownCertificate == nil && codes.contains("HANDSHAKE_FAILURE") && codes.contains("ALERT")) {
            return FlotillaError("The \(server) requires a client certificate and none was given", hint: "give the client certificate and key (\(client?.certificateFlag ?? "--elastic-agent-cert, --elastic-agent-cert-key"))")
        }
        if codes.contains("ALERT_UNKNOWN_CA") {
            return FlotillaError("The \(server) does not trust \(ownCertificate ?? "this client's certificate"): it is not signed by a CA the server checks client certificates with", hint: "issue the client certificate from the CA in the server's certificate_authorities, or add its CA there")
        }
        if codes.contains("ALERT_CERTIFICATE_EXPIRED") {
            return FlotillaError("The \(server) refused \(ownCertificate ?? "this client's certificate") as expired or not yet valid", hint: "issue a new client certificate (flotilla certs issue --purpose client)")
        }
        if codes.contains("ALERT_BAD_CERTIFICATE") || codes.contains("ALERT_CERTIFICATE_UNKNOWN") || codes.contains("ALERT_UNSUPPORTED_CERTIFICATE") {
            return FlotillaError("The \(server) refused \(ownCertificate ?? "this client's certificate")", hint: "check that it is a client certificate from a CA the server trusts")
        }
        if codes.contains("WRONG_VERSION_NUMBER") || codes.contains("HTTP_REQUEST") {
            return FlotillaError("The \(server) does not speak TLS on this port", hint: "check the URL's scheme and port")
        }
        if codes.contains("PROTOCOL_VERSION") || codes.contains("UNSUPPORTED_PROTOCOL") {
            return FlotillaError("The \(server) and this client share no TLS version", hint: "allow TLSv1.2 and TLSv1.3 in supported_protocols on both sides")
        }
        if codes.contains("NO_SHARED_CIPHER") || codes.contains("HANDSHAKE_FAILURE") || codes.contains("NO_CIPHER_MATCH") {
            return FlotillaError("The \(server) and this client share no cipher suite", hint: "check cipher_suites on both sides")
        }
        switch ConnectFailure(error) {
        case .refused: return FlotillaError("Nothing accepts connections at the \(server)", hint: "check that it runs and that the host and port are right")
        case .timedOut: return FlotillaError("The \(server) did not answer in time", hint: "check the host, the port and any firewall in between")
        case nil: break
        }
        if case NIOSSLError.uncleanShutdown = error {
            return FlotillaError("The \(server) closed the connection during the TLS handshake", hint: "it may require a client certificate this client lacks, or not speak TLS")
        }
        if let name = (error as? NIOConnectionError)?.dnsAAAAError ?? (error as? NIOConnectionError)?.dnsAError {
            return FlotillaError("The \(server) host name cannot be resolved (\(name))", hint: "check the host name")
        }
        return FlotillaError("The TLS connection to the \(server) failed (\(codes.isEmpty ? String(describing: error) : codes))", hint: "run flotilla certs verify on the certificates involved")
    }

    /// Why a client's handshake with a server failed, as a short label (a metric's `reason`).
    public enum ServerFailure: String, Sendable, CaseIterable {
        case noClientCertificate = "no_client_certificate"
        case clientCertificateRejected = "client_certificate_rejected"
        /// Verified, then refused: revoked, or issued to another agent (`TLSEventLogger`'s `onHandshake`).
        case clientCertificateRevoked = "client_certificate_revoked"
        case serverCertificateUntrusted = "server_certificate_untrusted"
        case serverCertificateExpired = "server_certificate_expired"
        case plainHTTP = "plain_http"
        case noSharedProtocol = "no_shared_protocol"
        case other

        public init(_ error: any Error) {
            let codes = HandshakeDiagnosis.boringSSLCodes(error)
            func has(_ names: String...) -> Bool { names.contains { codes.contains($0) } }
            self = if has("PEER_DID_NOT_RETURN_A_CERTIFICATE") { .noClientCertificate }
                else if has("CERTIFICATE_VERIFY_FAILED") { .clientCertificateRejected }
                else if has("ALERT_UNKNOWN_CA", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_UNKNOWN") { .serverCertificateUntrusted }
                else if has("ALERT_CERTIFICATE_EXPIRED") { .serverCertificateExpired }
                else if has("HTTP_REQUEST", "WRONG_VERSION_NUMBER") { .plainHTTP }
                else if has("NO_SHARED_CIPHER", "UNSUPPORTED_PROTOCOL", "PROTOCOL_VERSION") { .noSharedProtocol }
                else { .other }
        }
    }

    /// A server's view of a failed handshake with the client at `peer`, for its log.
    public static func serverFailure(_ error: any Error, peer: String, clientCertificateRejection: String?) -> String {
        if let clientCertificateRejection {
            return "Refused the client at \(peer): \(clientCertificateRejection)"
        }
        switch ServerFailure(error) {
        case .noClientCertificate:
            return "Refused the client at \(peer): it presented no certificate and client auth is required"
        case .clientCertificateRejected:
            return "Refused the client at \(peer): its certificate does not verify against the client CAs"
        case .clientCertificateRevoked:
            return "Refused the client at \(peer): its certificate was revoked"
        case .serverCertificateUntrusted:
            return "The client at \(peer) refused this server's certificate: it does not trust the CA that signed it (give it the server's CA)"
        case .serverCertificateExpired:
            return "The client at \(peer) refused this server's certificate as expired"
        case .plainHTTP:
            return "The client at \(peer) spoke plain HTTP to this TLS port (it should use https://)"
        case .noSharedProtocol:
            return "The client at \(peer) shares no TLS version or cipher suite with this server"
        case .other:
            let codes = boringSSLCodes(error)
            return "The TLS handshake with the client at \(peer) failed (\(codes.isEmpty ? String(describing: error) : codes))"
        }
    }

    /// The reason codes BoringSSL put in an error ("SSLV3_ALERT_CERTIFICATE_EXPIRED"), joined, for matching.
    static func boringSSLCodes(_ error: any Error) -> String {
        let text: String
        switch error {
        case NIOSSLError.handshakeFailed(let inner): text = String(describing: inner)
        case let inner as BoringSSLError: text = String(describing: inner)
        default: text = String(describing: error)
        }
        // Entries look like "error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE".
        let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        return words.filter { $0.contains("_") && $0.uppercased() == $0 }.joined(separator: " ")
    }

    static func caHint(_ client: TLSClientContext?) -> String {
        let flag = client?.caFlag ?? "--certificate-authorities"
        guard let client, !client.settings.certificateAuthorities.isEmpty else {
            return "give the CA that signed the server's certificate (certificate_authorities, \(flag))"
        }
        return "check the CAs given in certificate_authorities (\(flag)) and the server's certificate"
    }
}

/// A TCP connection that could not be made, told apart from TLS failures.
enum ConnectFailure: CustomStringConvertible {
    case refused
    case timedOut

    init?(_ error: any Error) {
        let underlying = (error as? NIOConnectionError)?.connectionErrors.first?.error ?? error
        if let io = underlying as? IOError, io.errnoCode == ECONNREFUSED {
            self = .refused
        } else if case ChannelError.connectTimeout = underlying {
            self = .timedOut
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .refused: "nothing accepts connections there"
        case .timedOut: "it did not answer in time"
        }
    }
}
