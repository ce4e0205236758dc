import NIOCore

/// Opens an HTTP CONNECT tunnel before TLS starts. It sits in front of the TLS handler and holds back
/// `channelActive` until the proxy answers 200, so the TLS handshake begins only inside the tunnel.
final class ProxyTunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let target: String
    let proxy: HTTPProxy
    var answer = ByteBuffer()
    /// Writes from above held back until the tunnel is open: a plain-HTTP request must not reach the proxy as a
    /// request to the proxy itself (TLS holds its own back until the channel is active).
    var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    var open = false

    init(targetHost: String, targetPort: Int, proxy: HTTPProxy) {
        self.target = targetHost.contains(":") ? "[\(targetHost)]:\(targetPort)" : "\(targetHost):\(targetPort)"
        self.proxy = proxy
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if open { context.write(data, promise: promise) } else { held.append((data, promise)) }
    }

    func flush(context: ChannelHandlerContext) {
        if open { context.flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        var request = "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n"
        for (name, value) in proxy.headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        answer.writeBuffer(&chunk)
        // The end of the proxy's head is found in the bytes, not in a decoded string: a proxy may send any bytes.
        let bytes = answer.readableBytesView
        guard let end = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8]) else {
            if answer.readableBytes > 16_384 { fail(context, ProxyTunnelError(proxy: proxy.display, target: target, statusLine: "an answer with no end")) }
            return
        }
        let firstLine = bytes[..<(bytes.firstRange(of: [13, 10] as [UInt8])?.lowerBound ?? end.lowerBound)]
        let statusLine = String(decoding: firstLine, as: UTF8.self)
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        guard status == 200 else {
            fail(context, ProxyTunnelError(proxy: proxy.display, target: target, statusLine: statusLine))
            return
        }
        // The tunnel is open: TLS starts now, and whatever followed the proxy's answer belongs to it.
        answer.moveReaderIndex(to: end.upperBound)
        let rest = answer
        open = true
        for (data, promise) in held { context.write(data, promise: promise) }
        if !held.isEmpty { context.flush() }
        held.removeAll()
        context.fireChannelActive()
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func fail(_ context: ChannelHandlerContext, _ error: ProxyTunnelError) {
        for (_, promise) in held { promise?.fail(error) }
        held.removeAll()
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

/// The proxy answered CONNECT with something other than 200.
struct ProxyTunnelError: Error {
    let proxy: String
    let target: String
    let statusLine: String
}
