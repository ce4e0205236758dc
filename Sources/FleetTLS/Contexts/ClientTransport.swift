import NIOCore
import NIOPosix

/// How a client channel reaches its server below HTTP: directly or through a CONNECT proxy, then TLS unless the link
/// is plain HTTP. A proxy (`http`, `https` with its own TLS, or `socks5`) carries the link's TLS inside its tunnel. Every outgoing link of the agent (Fleet Server, outputs) and the TLS probe start here, so that a
/// refused handshake or an unreachable proxy is explained the same way everywhere.
public struct ClientTransport: Sendable {
    /// The host and port named in the URL: the TLS peer whose certificate must name `host`.
    public let host: String
    public let port: Int
    /// `nil` for plain HTTP.
    public let tls: TLSClientContext?
    public let proxy: ForwardProxy?
    /// Where to dial instead of `host:port` (a Fleet Server in this process, on loopback); TLS still checks `host`.
    public let dialHost: String?
    public let dialPort: Int?
    /// What the peer is, as a person names it ("Fleet Server", "output default").
    public let role: String

    public init(host: String, port: Int, tls: TLSClientContext?, proxy: ForwardProxy? = nil, dialHost: String? = nil, dialPort: Int? = nil, role: String) {
        self.host = host
        self.port = port
        self.tls = tls
        self.proxy = proxy
        self.dialHost = dialHost
        self.dialPort = dialPort
        self.role = role
    }

    /// "Fleet Server at fleet.example.com:8220", for sentences.
    public var server: String { "\(role) at \(host):\(port)" }

    /// Opens a connection with the tunnel and TLS handlers in place, then lets `addProtocol` add what goes above
    /// them, on the channel's event loop, and returns what it made. The TLS handshake runs in the background: its
    /// failure reaches the first write or read, and `report` holds what the verifier found.
    public func connect<Output: Sendable>(
        report: HandshakeReport,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: TimeAmount = .seconds(10),
        addProtocol: @escaping @Sendable (any Channel) throws -> Output
    ) async throws(FlotillaError) -> Output {
        let target = (host: dialHost ?? host, port: dialPort ?? port)
        let dial = proxy.map { (host: $0.host, port: $0.port) } ?? target
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .connect(host: dial.host, port: dial.port) { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        if let proxy {
                            // An https:// proxy: TLS to the proxy first, checked with the proxy's own settings.
                            let proxyReport = proxy.tls.map { _ in HandshakeReport() }
                            if let proxyTLS = proxy.tls, let proxyReport {
                                try operations.addHandler(proxyTLS.makeHandler(host: proxy.host, report: proxyReport))
                            }
                            try operations.addHandler(
                                ProxyTunnelHandler(targetHost: target.host, targetPort: target.port, proxy: proxy, proxyReport: proxyReport)
                            )
                        }
                        if let tls {
                            try operations.addHandler(tls.makeHandler(host: host, report: report))
                        }
                        return try addProtocol(channel)
                    }
                }
        } catch {
            throw explain(error, report: report)
        }
    }

    /// One sentence for a failure on a connection this transport opened.
    public func explain(_ error: any Error, report: HandshakeReport?) -> FlotillaError {
        if let error = error as? FlotillaError { return error }
        if let refusal = error as? ProxyTunnelError { return refusal.explanation }
        if let proxy, let failure = ConnectFailure(error) {
            return FlotillaError("Cannot reach the proxy at \(proxy.display): \(failure)", hint: "check --proxy-url, or pass --proxy-disabled to connect directly")
        }
        if tls == nil, let failure = ConnectFailure(error) {
            return FlotillaError("Cannot reach the \(server): \(failure)", hint: "check that it runs and that the host and port are right")
        }
        return HandshakeDiagnosis.clientFailure(error, server: server, report: report, client: tls)
    }
}
