import Hummingbird
import NIOCore

/// The per-request context: who is asking, set by `AuthenticationMiddleware` and read by every handler.
public struct ConsoleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The user or API key making the request; nil only on the routes open to all (login, status).
    public var identity: ConsoleIdentity?
    /// The session token from the cookie, so logout can end that session.
    public var sessionToken: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies over 1 MiB get 413: settings with inline PEM are a few KiB.
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The identity, which every authenticated route has.
    func requireIdentity() throws -> ConsoleIdentity {
        guard let identity else { throw ConsoleError(.unauthorized, "Log in, or send Authorization: ApiKey ...") }
        return identity
    }
}
