import FleetStore
import Foundation
import HTTPTypes
import Hummingbird

/// Finds who makes each request (`Authorization: ApiKey ...`, or the session cookie) and refuses what they may not
/// do: anonymous requests (401 for the API, the login page for the UI), a viewer's changes (403), and a
/// cookie-authenticated change without the session's CSRF token (403), since a browser sends cookies to forged
/// requests too.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let accounts: ConsoleAccounts
    static let cookieName = "flotilla_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let openPaths: Set<String> = ["/login", "/api/status", "/api/openapi.yaml", "/static/console.css", "/static/console.js"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request, context = context
        let path = request.uri.path
        let open = Self.openPaths.contains(path)
        if let header = request.headers[.authorization] {
            let identity = header.hasPrefix("ApiKey ") ? try await accounts.identity(apiKey: String(header.dropFirst(7))) : nil
            if identity == nil, !open {
                throw ConsoleError(.unauthorized, "The API key in the Authorization header is not known; make one with flotilla console api-keys create")
            }
            context.identity = identity
        } else if let token = request.cookies[Self.cookieName]?.value, let identity = try await accounts.identity(sessionToken: token) {
            context.identity = identity
            context.sessionToken = token
        }
        if open { return try await next(request, context) }
        guard let identity = context.identity else {
            if path.hasPrefix("/api/") { throw ConsoleError(.unauthorized, "Log in, or send Authorization: ApiKey ... (flotilla console api-keys create)") }
            return .redirect(to: "/login", type: .found)
        }
        let changes = request.method != .get && request.method != .head
        if changes, identity.role == .viewer, path != "/logout" {
            throw ConsoleError(.forbidden, "User \(identity.name) is a viewer and may not change anything; ask an admin")
        }
        if changes, let expected = identity.csrfToken {
            var given = request.headers[Self.csrfHeader]
            if given == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                let body = try await request.collectBody(upTo: context.maxUploadSize)
                given = FormFields(body: String(buffer: body))["_csrf"]
            }
            guard let given, Secrets.hashesMatch(Secrets.hash(given), Secrets.hash(expected)) else {
                throw ConsoleError(.forbidden, "The form is out of date or did not come from this console (CSRF token missing or wrong); reload the page and try again")
            }
        }
        return try await next(request, context)
    }
}
