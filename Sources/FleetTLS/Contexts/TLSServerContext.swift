import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import X509

/// A TLS server's settings turned into a NIOSSL context, swappable at run time.
///
/// Each new connection takes the context current at its accept (`makeHandler`), so a reload changes certificate,
/// key and client CAs for new connections while open ones keep theirs. A reload with broken files keeps the last
/// good context and says why.
public final class TLSServerContext: Sendable {
    struct Loaded: @unchecked Sendable {  // NIOSSLContext is thread-safe once built
        /// As given (so a reload compares like with like); `clientAuth` is what is in force.
        let settings: TLSSettings
        let clientAuth: TLSSettings.ClientAuth
        let identity: TLSIdentity
        let clientAuthorities: [Certificate]
        let context: NIOSSLContext
    }

    private let current: NIOLockedValueBox<Loaded>
    /// "Fleet Server", "console": names the listener in messages.
    public let role: String
    /// CAs trusted for client certificates whatever the settings say: the CA this server issues agents'
    /// certificates with. Kept across reloads, so a console's `server.ssl` never drops them.
    let issuing: NIOLockedValueBox<(authorities: [Certificate], excluded: [Certificate])>

    /// - Parameters:
    ///   - issuingAuthorities: CAs whose client certificates are always accepted (the agent CA); with any, a server
    ///     whose settings say `client_auth: none` asks for client certificates (`optional`).
    ///   - fields: the flags or fields the settings came from, named in loading errors (Fleet Server's flags unless
    ///     told).
    public init(
        settings: TLSSettings, role: String = "Fleet Server", issuingAuthorities: [Certificate] = [],
        fields: TLSFieldNames = .fleetServer
    ) throws(FlotillaError) {
        self.role = role
        self.fields = NIOLockedValueBox(fields)
        self.issuing = NIOLockedValueBox((issuingAuthorities, []))
        self.current = NIOLockedValueBox(
            try Self.load(settings, role: role, fields: fields, issuing: issuingAuthorities, excluded: [])
        )
    }

    /// Where the settings in use came from: the flags at start, a policy's `ssl` after a reload from it.
    let fields: NIOLockedValueBox<TLSFieldNames>

    /// Loads and checks everything; nothing is served from a half-loaded state.
    static func load(
        _ settings: TLSSettings, role: String, fields: TLSFieldNames, issuing: [Certificate], excluded: [Certificate]
    ) throws(FlotillaError) -> Loaded {
        guard let identity = try TLSIdentity.load(from: settings, role: "\(role) certificate", fields: fields) else {
            throw FlotillaError("The \(role) has no certificate", hint: "set its certificate and key, or use flotilla certs init to make them")
        }
        let requested = settings
        var settings = settings
        var clientAuthorities = try CertificateFiles.loadAuthorities(
            settings.certificateAuthorities, role: "\(role) client CA (\(fields.certificateAuthorities))"
        )
        for authority in issuing where !clientAuthorities.contains(authority) { clientAuthorities.append(authority) }
        // A retired CA is no longer trusted, even where the settings still list it.
        clientAuthorities.removeAll { excluded.contains($0) }
        if !issuing.isEmpty, settings.clientAuth == .none { settings.clientAuth = .optional }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [], privateKey: .privateKey(identity.key.nio))
        identity.apply(to: &configuration)
        try settings.applyProtocols(to: &configuration, role: role)
        // The system store must never stand in for the client CAs, or any publicly trusted certificate would pass.
        configuration.trustRoots = .certificates(clientAuthorities.compactMap { try? NIOSSLCertificate(bytes: $0.derBytes, format: .der) })
        configuration.sendCANameList = true
        switch settings.clientAuth {
        case .none:
            configuration.certificateVerification = .none
        case .optional, .required:
            guard !clientAuthorities.isEmpty else {
                throw FlotillaError(
                    "The \(role) has client_auth \(settings.clientAuth.rawValue) but no CA to check client certificates with",
                    hint: "give the agents' CA with \(fields.certificateAuthorities)"
                )
            }
            configuration.certificateVerification = settings.clientAuth == .required ? .noHostnameVerification : .optionalVerification
        }
        let context = try TLSSettings.makeContext(configuration, role: role)
        return Loaded(
            settings: requested, clientAuth: settings.clientAuth, identity: identity, clientAuthorities: clientAuthorities,
            context: context
        )
    }

    /// Loads `settings` (or the current settings' files again, after they were replaced on disk) and serves them
    /// to new connections. On failure the previous context stays in use and the error says why.
    /// - Parameter fields: where `settings` came from, when not from the flags given at start (a policy's `ssl`).
    @discardableResult
    public func reload(_ settings: TLSSettings? = nil, fields: TLSFieldNames? = nil) -> Result<Void, FlotillaError> {
        reloading.withLock { reloadWhileLocked(settings, fields: fields) }
    }

    /// One reload at a time (the console's listener settings and an agent CA rotation may change it at once): each
    /// reads the settings and issuing CAs the last one left.
    private let reloading = NIOLock()

    private func reloadWhileLocked(_ settings: TLSSettings?, fields: TLSFieldNames? = nil) -> Result<Void, FlotillaError> {
        let wanted = settings ?? self.settings
        do {
            let (authorities, excluded) = issuing.withLockedValue { $0 }
            let used = fields ?? self.fields.withLockedValue { $0 }
            let loaded = try Self.load(wanted, role: role, fields: used, issuing: authorities, excluded: excluded)
            current.withLockedValue { $0 = loaded }
            self.fields.withLockedValue { $0 = used }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// Trusts `authorities` as issuers of client certificates (and no longer `excluded`), from the next connection
    /// on: an agent CA rotation moving on. On failure the previous context stays in use.
    @discardableResult
    public func setIssuingAuthorities(_ authorities: [Certificate], excluding excluded: [Certificate] = []) -> Result<Void, FlotillaError> {
        reloading.withLock {
            let before = issuing.withLockedValue { state in
                defer { state = (authorities, excluded) }
                return state
            }
            let result = reloadWhileLocked(nil)
            if case .failure = result { issuing.withLockedValue { $0 = before } }
            return result
        }
    }

    public var settings: TLSSettings { current.withLockedValue { $0.settings } }
    public var identity: TLSIdentity { current.withLockedValue { $0.identity } }
    /// The client authentication in force: `settings.clientAuth`, or `optional` where an issuing CA asks for more.
    public var clientAuth: TLSSettings.ClientAuth { current.withLockedValue { $0.clientAuth } }
    public var clientAuthorities: [Certificate] { current.withLockedValue { $0.clientAuthorities } }

    /// The TLS handler for one new connection, with the context current now.
    public func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: current.withLockedValue { $0.context })
    }
}
