import NIOCore
import NIOHTTP1

/// One request written to a connection and the promise its whole response fulfils.
struct HTTPExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// Fulfilled with the response and whether the connection may carry another request.
    var promise: EventLoopPromise<(HTTPResponse, Bool)>
}
