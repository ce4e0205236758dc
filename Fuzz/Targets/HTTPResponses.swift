import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import FleetAgent

/// Bytes a server (or anything posing as one) sends back on the agent's HTTP connection, read by NIO's HTTP/1
/// decoder and the agent's exchange handler, in the pipeline the agent's client builds.
struct HTTPResponses: FuzzTarget {
    let name = "http-response"

    struct Ended: Error {}

    func run(_ data: Data) -> FuzzOutcome {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: (HTTPResponse, Bool).self)
        var outcome = FuzzOutcome.refused("no answer")
        promise.futureResult.whenComplete { result in
            switch result {
            case .success: outcome = .accepted
            case .failure(let error): outcome = .refused("\(error)")
            }
        }
        do {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler(maximumBody: 1 << 20, connection: HTTPConnectionState()))
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/status", headers: ["Host": "fleet"])
            try channel.writeOutbound(HTTPExchange(head: head, body: nil, promise: promise))
            while try channel.readOutbound(as: ByteBuffer.self) != nil {}
            try channel.writeInbound(channel.allocator.buffer(bytes: data))
        } catch {
            // A decoding error reaches the exchange handler too, which fails the promise with it.
        }
        // The server closes: a response without a length ends here, anything else is cut off.
        _ = try? channel.finish()
        channel.embeddedEventLoop.run()
        promise.fail(Ended())  // ignored when the response already completed it
        return outcome
    }
}
