import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import X509

/// A TLS client's settings turned into a NIOSSL context and a `PeerVerifier`.
///
/// The server's chain is checked by `PeerVerifier` in place of BoringSSL, so that CA pins, `verification_mode` and
/// the reason for a refusal all come from one place. The reason lands in the connection's `HandshakeReport`.
public struct TLSClientContext: @unchecked Sendable {  // NIOSSLContext is thread-safe once built
    public let settings: TLSSettings
    public let identity: TLSIdentity?
    let context: NIOSSLContext
    let authorities: [Certificate]
    /// What the client is connecting to, as a person names it ("Fleet Server", "PostgreSQL").
    public let role: String

    /// Where this link's files were given, named in loading errors and hints.
    public let fields: TLSFieldNames
    /// The flag that names this link's CAs, for hints ("--certificate-authorities", "--fleet-server-es-ca").
    public var caFlag: String { fields.certificateAuthorities }
    /// Where this link's client certificate and key are given, for hints.
    public var certificateFlag: String { fields.certificateAndKey }

    /// - Parameters:
    ///   - role: what the client connects to, as a person names it.
    ///   - fields: the flags or fields the settings came from (the agent's flags unless told).
    public init(settings: TLSSettings, role: String = "Fleet Server", fields: TLSFieldNames = .agent) throws(FlotillaError) {
        if settings.verificationMode == .none, !settings.certificateAuthorities.isEmpty || !settings.caSha256.isEmpty {
            throw FlotillaError(
                "The \(role) connection has verification_mode none together with CAs or pins that would then be ignored",
                hint: "remove verification_mode none (--insecure) or the CAs"
            )
        }
        self.settings = settings
        self.role = role
        self.fields = fields
        self.identity = try TLSIdentity.load(from: settings, role: "client certificate for the \(role)", fields: fields)
        self.authorities = try CertificateFiles.loadAuthorities(
            settings.certificateAuthorities, role: "\(role) CA (\(fields.certificateAuthorities))"
        )
        var configuration = TLSConfiguration.makeClientConfiguration()
        identity?.apply(to: &configuration)
        try settings.applyProtocols(to: &configuration, role: role)
        // Verification happens in PeerVerifier (the custom callback); BoringSSL must still ask for it.
        configuration.certificateVerification = settings.verificationMode == .none ? .none : .noHostnameVerification
        self.context = try TLSSettings.makeContext(configuration, role: role)
        if let identity, let problem = PeerVerifier(peer: .client, authorities: []).purposeProblem(identity.certificate) {
            throw FlotillaError("\(problem) in \(identity.certificateOrigin)", hint: "issue a client certificate with flotilla certs issue --purpose client")
        }
    }

    /// The verifier for a connection to `host` (the name that must be in the server's certificate).
    public func verifier(host: String?) -> PeerVerifier {
        PeerVerifier(
            peer: .server(host: settings.verificationMode == .full ? host : nil),
            authorities: authorities,
            spkiPins: settings.caSha256,
            trustedFingerprint: settings.caTrustedFingerprint
        )
    }

    /// The TLS handler for one connection to `host`; `report` will hold the verified chain or why it was refused.
    public func makeHandler(host: String, report: HandshakeReport) throws -> NIOSSLClientHandler {
        // SNI carries host names only.
        let sni = IPAddressText.parse(host) == nil ? host : nil
        guard settings.verificationMode != .none else {
            return try NIOSSLClientHandler(context: context, serverHostname: sni)
        }
        let verifier = verifier(host: host)
        return try NIOSSLClientHandler(context: context, serverHostname: sni) { presented, promise in
            let chain = presented.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
            promise.completeWithTask {
                switch await verifier.verify(chain) {
                case .trusted(let verified):
                    report.record(serverChain: verified)
                    return .certificateVerified
                case .rejected(let reason):
                    report.record(rejection: reason)
                    return .failed
                }
            }
        }
    }
}

/// What a client learnt during one handshake: the server's verified chain, or why it was refused.
public final class HandshakeReport: Sendable {
    private struct State {
        var serverChain: [Certificate] = []
        var rejection: String?
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    func record(serverChain: [Certificate]) { state.withLockedValue { $0.serverChain = serverChain } }
    func record(rejection: String) { state.withLockedValue { $0.rejection = rejection } }

    public var serverChain: [Certificate] { state.withLockedValue { $0.serverChain } }
    public var rejection: String? { state.withLockedValue { $0.rejection } }
}
