import NIOCore
import NIOHTTP1

/// One request written to a connection and the promise its whole response fulfils.
struct HTTPExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// Where a 2xx response's body goes instead of memory, for downloads.
    var sink: HTTPBodySink?
    /// Fulfilled with the response and whether the connection may carry another request.
    var promise: EventLoopPromise<(HTTPResponse, Bool)>
}
