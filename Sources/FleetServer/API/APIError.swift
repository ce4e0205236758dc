import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// An agent API error in the shape of Elastic's contract: `{"statusCode", "error", "message"}`.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// "BadRequest", "Unauthorized", ...: the reason phrase without spaces.
    var errorName: String {
        status.reasonPhrase.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "-", with: "")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorResponse(statusCode: status.code, error: errorName, message: message)
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(body))))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    static func tooManyRequests(retryAfter seconds: Int, _ what: String) -> APIError {
        APIError(.tooManyRequests, "Too many \(what) requests; retry in \(seconds) s", headers: [.retryAfter: "\(seconds)"])
    }
}

/// Turns the framework's own errors (unknown route, body too large) into the contract's shape, so an agent
/// never sees two error formats.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            if error.status == .contentTooLarge {
                throw APIError(.contentTooLarge, "The request body is over 1 MiB")
            }
            throw APIError(error.status, (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        } catch {
            // Anything else comes from the store: agents back off and retry instead of treating it as fatal.
            context.logger.error("Request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.serviceUnavailable, "The Fleet Server cannot reach its store; retry later", headers: [.retryAfter: "5"])
        }
    }
}
