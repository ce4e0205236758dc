import NIOCore

/// How a proxy is asked to open a tunnel: the bytes the client sends first, then what it does with each answer.
/// `ProxyTunnelHandler` runs it below TLS; CONNECT and SOCKS5 are the two kinds.
protocol TunnelNegotiation {
    /// What the client sends once the connection to the proxy is up.
    mutating func start() -> ByteBuffer
    /// Reads the proxy's answer so far from `buffer` (consuming what it used).
    mutating func receive(_ buffer: inout ByteBuffer) throws(ProxyTunnelError) -> TunnelStep
}

/// What a negotiation does after reading from the proxy.
enum TunnelStep {
    /// Not a whole answer yet.
    case needMore
    /// Send this and keep reading.
    case send(ByteBuffer)
    /// The tunnel is open; what is left in the buffer belongs to the link inside it.
    case open
}
