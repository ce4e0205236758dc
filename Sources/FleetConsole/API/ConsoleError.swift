import FleetProtocol
import FleetTLS
import Foundation
import HTTPTypes
import Hummingbird

/// An error of the management API, in Kibana's shape: `{"statusCode", "error", "message"}`, plus `attributes`
/// where there is more to say (the pre-flight's findings).
public struct ConsoleError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public var attributes: JSONValue?

    public init(_ status: HTTPResponse.Status, _ message: String, attributes: JSONValue? = nil) {
        self.status = status
        self.message = message
        self.attributes = attributes
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: JSONValue = [
            "statusCode": .number(Double(status.code)),
            "error": .string(status.reasonPhrase),
            "message": .string(message),
        ]
        if let attributes { body["attributes"] = attributes }
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: try body.jsonData()))
        )
    }

    static func badRequest(_ message: String) -> ConsoleError { ConsoleError(.badRequest, message) }
    static func notFound(_ what: String) -> ConsoleError { ConsoleError(.notFound, "\(what) does not exist") }

    /// A loading or checking failure of one field, as one sentence that names the field.
    static func field(_ field: String, _ error: FlotillaError) -> ConsoleError {
        ConsoleError(.badRequest, "\(field): \(error.description)")
    }
}

/// Turns the framework's own errors (unknown route, body too large, a body that does not decode) into the API's
/// shape, so a client never sees two error formats and never a stack trace.
struct ConsoleErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ConsoleError {
            throw error
        } catch let error as DecodingError {
            throw ConsoleError.badRequest("The request body does not match the API: \(Self.describe(error))")
        } catch let error as FlotillaError {
            // Requests are checked into ConsoleErrors; a FlotillaError this deep is the store's (busy, closed) or
            // the secrets key's, and a retry may well succeed.
            context.logger.error("Console request failed: \(error.description)")
            throw ConsoleError(.serviceUnavailable, error.description)
        } catch let error as any HTTPResponseError {
            throw ConsoleError(error.status, (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("Console request failed: \(error)")
            throw ConsoleError(.serviceUnavailable, "The store could not be read or written; try again")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "the body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "the field \(parent == "the body" ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(let type, let context): return "\(path(context)) must be \(Self.typeName(type))"
        case .valueNotFound(let type, let context): return "\(path(context)) must be \(Self.typeName(type))"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context)) is not valid"
        @unknown default: return "it is not valid"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [String].Type, is [Any].Type: "a list"
        default: "an object"
        }
    }
}
