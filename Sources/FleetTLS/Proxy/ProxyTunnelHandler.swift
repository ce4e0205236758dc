import NIOCore

/// Opens a tunnel through a proxy before the link's own TLS starts. It sits in front of the link's TLS handler (and
/// above the proxy's TLS handler, for an `https://` proxy) and holds back `channelActive` until the proxy has opened
/// the tunnel, so the link's TLS handshake begins only inside it. What the proxy says is read by a
/// `TunnelNegotiation` (CONNECT or SOCKS5).
final class ProxyTunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var negotiation: any TunnelNegotiation
    let proxy: ForwardProxy
    /// What the proxy's own TLS verifier found, to explain a refused `https://` proxy.
    let proxyReport: HandshakeReport?
    var answer = ByteBuffer()
    /// Writes from above held back until the tunnel is open: a plain-HTTP request must not reach the proxy as a
    /// request to the proxy itself (TLS holds its own back until the channel is active).
    var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    var open = false
    var failed = false

    init(targetHost: String, targetPort: Int, proxy: ForwardProxy, proxyReport: HandshakeReport?) {
        let target = targetHost.contains(":") ? "[\(targetHost)]:\(targetPort)" : "\(targetHost):\(targetPort)"
        self.negotiation = switch proxy.kind {
        case .http, .https: ConnectNegotiation(target: target, proxy: proxy)
        case .socks5: SOCKS5Negotiation(targetHost: targetHost, targetPort: targetPort, proxy: proxy)
        }
        self.proxy = proxy
        self.proxyReport = proxyReport
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if open { context.write(data, promise: promise) } else { held.append((data, promise)) }
    }

    func flush(context: ChannelHandlerContext) {
        if open { context.flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        // Below, a proxy's TLS handler holds this until its handshake is done.
        context.writeAndFlush(wrapOutboundOut(negotiation.start()), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        answer.writeBuffer(&chunk)
        do {
            while true {
                switch try negotiation.receive(&answer) {
                case .needMore:
                    return
                case .send(let bytes):
                    context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
                case .open:
                    openTunnel(context)
                    return
                }
            }
        } catch {
            fail(context, error)
        }
    }

    /// The tunnel is open: TLS starts now, and whatever followed the proxy's answer belongs to it.
    func openTunnel(_ context: ChannelHandlerContext) {
        let rest = answer
        open = true
        for (data, promise) in held { context.write(data, promise: promise) }
        if !held.isEmpty { context.flush() }
        held.removeAll()
        context.fireChannelActive()
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Anything that fails before the tunnel is open failed on the way to the proxy, and is told as such.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !open else { return context.fireErrorCaught(error) }
        if error is ProxyTunnelError { return fail(context, error as! ProxyTunnelError) }
        fail(context, .link(proxy: proxy, report: proxyReport, underlying: error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !open, !failed {
            fail(context, .link(proxy: proxy, report: proxyReport, underlying: ChannelError.eof))
        }
        context.fireChannelInactive()
    }

    func fail(_ context: ChannelHandlerContext, _ error: ProxyTunnelError) {
        guard !failed else { return }
        failed = true
        for (_, promise) in held { promise?.fail(error) }
        held.removeAll()
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
