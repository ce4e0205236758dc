import FleetTLS
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The agent's one HTTP client, for Fleet Server and for outputs: HTTP/1.1 on NIO's codec over `ClientTransport`
/// (proxy tunnel, Flotilla's TLS and its explanations), with kept-alive connections, chunked responses, gzip
/// request bodies, header checks and a time limit on every request.
///
/// AsyncHTTPClient is not used because its TLS configuration cannot carry FleetTLS's verification callback (pins,
/// `verification_mode`, the reason for a refusal).
public final class HTTPClient: Sendable {
    public let endpoint: HTTPEndpoint
    public let transport: ClientTransport
    /// Headers sent with every request (`--header`, an output's `headers`).
    let headers: [String: String]
    private let idle = NIOLockedValueBox<[(any Channel, HTTPConnectionState)]>([])
    /// Kept-alive connections beyond this many are closed rather than pooled.
    let maximumIdle = 4

    /// - Parameters:
    ///   - endpoint: the server's URL.
    ///   - tls: the link's TLS client; required for https, ignored for http.
    ///   - headers: sent with every request; refused here when they hold line breaks.
    ///   - headersField: where `headers` were given, for that refusal.
    public init(
        endpoint: HTTPEndpoint,
        tls: TLSClientContext?,
        proxy: ForwardProxy? = nil,
        dialHost: String? = nil,
        dialPort: Int? = nil,
        headers: [String: String] = [:],
        headersField: String = "--header",
        role: String
    ) throws(FlotillaError) {
        try HTTPHeaderCheck.validate(headers, field: headersField)
        if let proxy { try HTTPHeaderCheck.validate(proxy.headers, field: "the proxy headers") }
        self.endpoint = endpoint
        self.headers = headers
        self.transport = ClientTransport(
            host: endpoint.host, port: endpoint.port, tls: endpoint.secure ? tls : nil, proxy: proxy,
            dialHost: dialHost, dialPort: dialPort, role: role
        )
    }

    deinit {
        for (channel, _) in idle.withLockedValue({ $0 }) { channel.close(promise: nil) }
    }

    /// Sends one request and reads its whole response.
    /// - Parameters:
    ///   - path: appended to the endpoint's base path.
    ///   - extraHeaders: this request's own headers (authorization, content type); checked like the others.
    ///   - gzip: compress the body and say so with `Content-Encoding: gzip`.
    ///   - timeout: from the moment the request is written until the end of the response.
    ///   - sink: where a 2xx response's body goes instead of the response (a download).
    public func send(
        _ method: HTTPMethod,
        _ path: String,
        body: ByteBuffer? = nil,
        headers extraHeaders: [String: String] = [:],
        gzip: Bool = false,
        timeout: Double = 60,
        sink: HTTPBodySink? = nil
    ) async throws(FlotillaError) -> HTTPResponse {
        try HTTPHeaderCheck.validate(extraHeaders, field: "the request headers")
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.basePath + path)
        let defaultPort = endpoint.secure ? 443 : 80
        head.headers.add(name: "Host", value: endpoint.port == defaultPort ? endpoint.host : "\(endpoint.host):\(endpoint.port)")
        head.headers.add(name: "User-Agent", value: "flotilla-agent/\(AgentMetadata.version)")
        for (name, value) in headers.merging(extraHeaders, uniquingKeysWith: { $1 }) { head.headers.replaceOrAdd(name: name, value: value) }
        var payload = body
        if gzip, let plain = body {
            payload = Gzip.compress(plain)
            head.headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
        }
        head.headers.replaceOrAdd(name: "Content-Length", value: "\(payload?.readableBytes ?? 0)")

        // A kept-alive connection may have been closed by the server meanwhile (a reset, an unclean TLS shutdown,
        // a write to a closed channel): a request that got nothing back on one is sent once more on a new one.
        if let (channel, state) = takeIdle() {
            do {
                return try await exchange(head, payload, on: channel, state: state, timeout: timeout, sink: sink)
            } catch HTTPExchangeError.timedOut {
                throw explain(HTTPExchangeError.timedOut, report: nil, timeout: timeout)
            } catch {
                channel.close(promise: nil)
                if state.answered { throw explain(error, report: nil, timeout: timeout) }
            }
        }
        let report = HandshakeReport()
        let state = HTTPConnectionState()
        let channel = try await transport.connect(report: report) { channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler(connection: state))
            return channel
        }
        do {
            return try await exchange(head, payload, on: channel, state: state, timeout: timeout, sink: sink)
        } catch {
            channel.close(promise: nil)
            throw explain(error, report: report, timeout: timeout)
        }
    }

    /// Closes the pooled connections.
    public func close() {
        for (channel, _) in idle.withLockedValue({ list in defer { list.removeAll() }; return list }) { channel.close(promise: nil) }
    }

    private func exchange(
        _ head: HTTPRequestHead, _ body: ByteBuffer?, on channel: any Channel, state: HTTPConnectionState, timeout: Double,
        sink: HTTPBodySink?
    ) async throws -> HTTPResponse {
        let promise = channel.eventLoop.makePromise(of: (HTTPResponse, Bool).self)
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            promise.fail(HTTPExchangeError.timedOut)
            channel.close(promise: nil)
        }
        channel.writeAndFlush(HTTPExchange(head: head, body: body, sink: sink, promise: promise)).whenFailure { error in
            // A failed write is the connection failing (a refused tunnel, a failed handshake): its own error says why.
            if let first = state.firstError { return promise.fail(first) }
            channel.eventLoop.scheduleTask(in: .milliseconds(200)) { promise.fail(state.firstError ?? error) }
        }
        let response: HTTPResponse
        let keepAlive: Bool
        do {
            // A cancelled request (a long poll cut short) closes its connection.
            (response, keepAlive) = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
                channel.close(promise: nil)
            }
            deadline.cancel()
        } catch {
            deadline.cancel()
            throw error
        }
        if keepAlive { giveBack(channel, state) }
        return response
    }

    private func takeIdle() -> (any Channel, HTTPConnectionState)? {
        idle.withLockedValue { list in
            while let entry = list.popLast() {
                if entry.0.isActive { return entry }
            }
            return nil
        }
    }

    private func giveBack(_ channel: any Channel, _ state: HTTPConnectionState) {
        let kept = idle.withLockedValue { list in
            guard list.count < maximumIdle else { return false }
            list.append((channel, state))
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func explain(_ error: any Error, report: HandshakeReport?, timeout: Double) -> FlotillaError {
        switch error {
        case is CancellationError:
            return FlotillaError("The request to the \(transport.server) was cancelled", hint: "the agent is stopping or checks in again")
        case HTTPExchangeError.timedOut:
            return FlotillaError("The \(transport.server) did not answer within \(Int(timeout)) s", hint: "check that it runs and is not overloaded")
        case HTTPExchangeError.responseTooLarge(let limit):
            return FlotillaError("The \(transport.server) sent a response larger than \(limit >> 20) MiB", hint: "check that the URL points at the right server")
        case HTTPExchangeError.closed:
            // A handshake that failed after it seemed to start closes the connection too: say which if known.
            if report?.rejection != nil { return transport.explain(error, report: report) }
            return FlotillaError("The \(transport.server) closed the connection before answering", hint: "look at its log; it may have refused this client")
        case is HTTPParserError:
            return FlotillaError("The \(transport.server) answered with something that is not HTTP", hint: "check the URL's scheme and port")
        default:
            return transport.explain(error, report: report)
        }
    }
}
