import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Sits above NIO's HTTP/1 codec and turns the request/response parts of one exchange at a time into a promise.
/// A connection carries one exchange at a time; the client hands it back to its pool when the response ended and
/// the server did not ask to close.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<(HTTPResponse, Bool)>?
    private var sink: HTTPBodySink?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    /// Responses are read whole into memory; a server sending more than this is cut off.
    let maximumBody: Int
    /// The connection's first error and whether the current response began, for the client.
    let connection: HTTPConnectionState

    init(maximumBody: Int = 64 << 20, connection: HTTPConnectionState) {
        self.maximumBody = maximumBody
        self.connection = connection
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        precondition(promise == nil, "one exchange at a time per connection")
        promise = exchange.promise
        sink = exchange.sink
        connection.startExchange()
        head = nil
        body.clear()
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let bytes = exchange.body, bytes.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: writePromise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            connection.markAnswered()
            // 1xx answers (100 Continue) precede the real one.
            if received.status.code >= 200 || received.status.code < 100 { head = received }
        case .body(var bytes):
            if let sink, let head, (200..<300).contains(head.status.code) {
                if !sink.write(bytes) {
                    fail(HTTPExchangeError.closed(answered: true))
                    context.close(promise: nil)
                }
                return
            }
            guard body.readableBytes + bytes.readableBytes <= maximumBody else {
                fail(HTTPExchangeError.responseTooLarge(limit: maximumBody))
                context.close(promise: nil)
                return
            }
            body.writeBuffer(&bytes)
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let response = HTTPResponse(status: Int(head.status.code), headers: headers, body: Data(body.readableBytesView))
            self.head = nil
            sink = nil
            body.clear()
            let pending = promise
            promise = nil
            // The server's wish to close is honoured before the connection can be handed out again.
            if !head.isKeepAlive { context.close(promise: nil) }
            pending?.succeed((response, head.isKeepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.record(error)
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPExchangeError.closed(answered: head != nil))
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        let pending = promise
        promise = nil
        pending?.fail(error)
    }
}
