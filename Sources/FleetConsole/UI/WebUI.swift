import FleetProtocol
import FleetStore
import Foundation
import Hummingbird
import Mustache

/// The web UI: server-rendered pages whose forms all work without JavaScript; a little script copies commands,
/// refreshes the agents table and waits for a new agent. Every change goes through `ManagementAPI`, so the UI
/// and the API check, store and audit alike.
struct WebUI: Sendable {
    let api: ManagementAPI
    let accounts: ConsoleAccounts
    let secureCookies: Bool
    let library: MustacheLibrary
    /// The banner of certificates that end soon, worked out at most once a minute.
    let warnings = CertificateWarnings()

    init(api: ManagementAPI, accounts: ConsoleAccounts, secureCookies: Bool) {
        self.api = api
        self.accounts = accounts
        self.secureCookies = secureCookies
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            // The templates are part of the program: one that does not parse is a bug caught by every test.
            try! library.register(text, named: name)
        }
        self.library = library
    }

    func addRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/") { _, _ in Response.redirect(to: "/agents", type: .found) }
        router.get("static/console.css") { _, _ in Self.asset(Assets.css, type: "text/css") }
        router.get("static/console.js") { _, _ in Self.asset(Assets.javascript, type: "text/javascript") }
        router.get("login") { _, context in
            context.identity == nil ? try await page("login", title: "Log in", [:], context: context) : .redirect(to: "/agents", type: .found)
        }
        router.post("login") { request, context in try await login(request, context: context) }
        router.post("logout") { _, context in
            if let token = context.sessionToken { try await accounts.endSession(token: token) }
            var response = Response.redirect(to: "/login", type: .found)
            response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
        addAgentPages(to: router)
        addSettingsPages(to: router)
        addTokenPages(to: router)
        addPolicyPages(to: router)
        addFleetServerPage(to: router)
        addCertificatePages(to: router)
        router.get("audit") { _, context in
            let now = Date()
            let entries: [[String: Any]] = try await api.store.auditLog(limit: 200).map {
                ["at": RFC3339.string(from: $0.at), "relative": Self.relative($0.at, now: now), "actor": $0.actor, "action": $0.action, "target": $0.target, "detail": $0.detail]
            }
            return try await page("audit", title: "Audit log", ["entries": entries, "nav": ["audit": true]], context: context)
        }
    }

    func login(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        var request = request
        let form = FormFields(body: String(buffer: try await request.collectBody(upTo: 64 * 1024)))
        let name = form.text("user") ?? ""
        guard let identity = try await accounts.login(name, password: form["password"] ?? "") else {
            var response = try await page("login", title: "Log in", ["error": "The user name or password is wrong.", "name": name], context: context)
            response.status = .unauthorized
            return response
        }
        let token = try await accounts.startSession(for: identity)
        try await api.audit(identity, "session.login", identity.name, detail: "")
        var response = Response.redirect(to: "/agents", type: .found)
        response.setCookie(Cookie(
            name: AuthenticationMiddleware.cookieName, value: token, maxAge: Int(accounts.sessionLifetime), path: "/",
            secure: secureCookies, httpOnly: true, sameSite: .strict
        ))
        return response
    }

    /// Renders `template` inside the layout, with who is logged in and their CSRF token.
    func page(_ template: String, title: String, _ values: [String: Any], context: ConsoleRequestContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = values
        values["title"] = title
        if let identity = context.identity {
            if let banner = await warnings.banner(api.store) { values["banner"] = ["level": banner.level, "text": banner.text] }
            values["user"] = identity.name
            values["role"] = identity.role.rawValue
            values["admin"] = identity.role == .admin
            values["csrf"] = identity.csrfToken ?? ""
        }
        let body = library.render(values, withTemplate: template) ?? ""
        values["body"] = body
        let html = library.render(values, withTemplate: "layout") ?? body
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func relative(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "never" }
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<5: return "just now"
        case ..<60: return "\(seconds) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86_400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86_400) days ago"
        }
    }

    static func day(_ date: Date?) -> String {
        guard let date else { return "—" }
        return date.formatted(.iso8601.year().month().day())
    }

    static func redirect(_ path: String, flash: String? = nil) -> Response {
        guard let flash, let encoded = flash.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { return .redirect(to: path, type: .found) }
        return .redirect(to: path + (path.contains("?") ? "&" : "?") + "flash=" + encoded, type: .found)
    }

    static func formBody(_ request: Request, context: ConsoleRequestContext) async throws -> FormFields {
        var request = request
        return FormFields(body: String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
    }
}
