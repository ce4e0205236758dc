import NIOCore

/// Why a proxy did not open a tunnel, as `ClientTransport` explains it in one sentence.
enum ProxyTunnelError: Error {
    /// An HTTP proxy answered CONNECT with something other than 200 or 407.
    case refused(proxy: String, target: String, statusLine: String)
    /// The proxy wants credentials (407, or a SOCKS5 proxy that needs a user and password); `sent` tells whether
    /// some were given, so the sentence says "wrong" or "missing".
    case credentials(proxy: String, sent: Bool, answer: String? = nil)
    /// A SOCKS5 proxy refused the connection with a reply code.
    case socksRefused(proxy: String, target: String, code: UInt8)
    /// What answered does not speak SOCKS5.
    case notSOCKS(proxy: String)
    /// The link to the proxy failed before the tunnel opened (the proxy's TLS, or the connection).
    case link(proxy: ForwardProxy, report: HandshakeReport?, underlying: any Error)

    var explanation: FlotillaError {
        switch self {
        case .refused(let proxy, let target, let statusLine):
            return FlotillaError(
                "The proxy at \(proxy) refused to open a tunnel to \(target) (\(statusLine))",
                hint: "check the proxy URL and its headers, and that the proxy allows CONNECT to that port"
            )
        case .credentials(let proxy, let sent, let answer):
            let said = answer.map { " (\($0))" } ?? ""
            return FlotillaError(
                sent
                    ? "The proxy at \(proxy) refused the credentials it was given\(said)"
                    : "The proxy at \(proxy) asks for credentials and none were given\(said)",
                hint: "give them in the proxy headers as Proxy-Authorization (--proxy-header, proxy_headers) or with --proxy-credentials-file"
            )
        case .socksRefused(let proxy, let target, let code):
            let reason = [
                1: "a general failure", 2: "its rules do not allow it", 3: "the network is unreachable",
                4: "the host is unreachable", 5: "the connection was refused", 6: "the connection timed out",
                7: "it does not support CONNECT", 8: "it does not support the address type",
            ][Int(code)] ?? "reply code \(code)"
            return FlotillaError("The SOCKS5 proxy at \(proxy) did not connect to \(target): \(reason)", hint: "check the target's host and port, and the proxy's rules")
        case .notSOCKS(let proxy):
            return FlotillaError("What answers at \(proxy) is not a SOCKS5 proxy", hint: "check the proxy URL's scheme and port")
        case .link(let proxy, let report, let underlying):
            if let failure = ConnectFailure(underlying) {
                return FlotillaError("Cannot reach the proxy at \(proxy.display): \(failure)", hint: "check --proxy-url, or pass --proxy-disabled to connect directly")
            }
            if case ChannelError.eof = underlying {
                return FlotillaError("The proxy at \(proxy.display) closed the connection before it opened the tunnel", hint: "check the proxy's log, and that the URL's scheme (http, https, socks5) and port are the proxy's")
            }
            if proxy.kind == .https {
                return HandshakeDiagnosis.clientFailure(underlying, server: "proxy at \(proxy.host):\(proxy.port)", report: report, client: proxy.tls)
            }
            return FlotillaError("The connection to the proxy at \(proxy.display) failed before its tunnel opened (\(underlying))", hint: "check that the proxy runs and that the URL's scheme and port are right")
        }
    }
}
