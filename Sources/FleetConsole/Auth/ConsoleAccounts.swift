import FleetProtocol
import FleetStore
import FleetTLS
import Foundation

/// Console users, API keys and sessions, kept in the store: passwords as slow salted hashes, API keys and session
/// tokens as SHA-256 hashes (they are long random secrets), so nothing in the store lets anyone in.
public struct ConsoleAccounts: Sendable {
    let store: any Store
    /// How long a UI session lasts without use.
    let sessionLifetime: TimeInterval

    public init(store: any Store, sessionLifetime: TimeInterval = 8 * 3600) {
        self.store = store
        self.sessionLifetime = sessionLifetime
    }

    struct User: Codable {
        var id: String
        var role: ConsoleRole
        var passwordHash: String
        var createdAt: String
        enum CodingKeys: String, CodingKey { case id, role, passwordHash = "password_hash", createdAt = "created_at" }
    }

    struct APIKey: Codable {
        var id: String
        var name: String
        var role: ConsoleRole
        var secretHash: String
        var createdAt: String
        enum CodingKeys: String, CodingKey { case id, name, role, secretHash = "secret_hash", createdAt = "created_at" }
    }

    struct Session: Codable {
        var id: String
        var user: String
        var role: ConsoleRole
        var csrfToken: String
        var expiresAt: Date
        enum CodingKeys: String, CodingKey { case id, user, role, csrfToken = "csrf_token", expiresAt = "expires_at" }
    }

    // MARK: Users

    /// Adds a user; fails when the name is taken or the password is too short.
    public func addUser(_ name: String, password: String, role: ConsoleRole) async throws {
        try Self.checkUserName(name)
        guard try await user(name) == nil else {
            throw FlotillaError("There is already a console user \(name)", hint: "change the password with flotilla console users passwd \(name)")
        }
        try await saveUser(User(id: name, role: role, passwordHash: try Self.hash(password), createdAt: RFC3339.string(from: Date())))
    }

    public func setPassword(_ name: String, password: String) async throws {
        guard var user = try await user(name) else {
            throw FlotillaError("There is no console user \(name)", hint: "list them with flotilla console users list")
        }
        user.passwordHash = try Self.hash(password)
        try await saveUser(user)
        try await endSessions(of: name)
    }

    /// Removes a user and ends their sessions. Returns false when there was none.
    public func removeUser(_ name: String) async throws -> Bool {
        guard try await store.deleteConsoleObject(kind: SettingKind.user.rawValue, id: name) else { return false }
        try await endSessions(of: name)
        return true
    }

    /// Names and roles of the users.
    public func users() async throws -> [(name: String, role: ConsoleRole)] {
        try await all(.user, as: User.self).map { ($0.id, $0.role) }
    }

    func user(_ name: String) async throws -> User? {
        try await one(.user, id: name, as: User.self)
    }

    func saveUser(_ user: User) async throws {
        try await keep(.user, id: user.id, user)
    }

    static func checkUserName(_ name: String) throws(FlotillaError) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw FlotillaError("The user name \(name.debugDescription) is not valid", hint: "use letters, digits and . _ - @, at most 64")
        }
    }

    static func hash(_ password: String) throws -> String {
        guard password.count >= 12 else {
            throw FlotillaError("The password is too short", hint: "use at least 12 characters")
        }
        return try PasswordHash.make(password)
    }

    /// The user's identity when the password is right; nil otherwise (which one was wrong is not said).
    func login(_ name: String, password: String) async throws -> ConsoleIdentity? {
        guard let user = try await user(name) else {
            _ = PasswordHash.matches(password, Self.decoyHash)  // the same time whether or not the user exists
            return nil
        }
        guard PasswordHash.matches(password, user.passwordHash) else { return nil }
        return ConsoleIdentity(name: user.id, role: user.role, csrfToken: nil, actor: "user:\(user.id)")
    }

    static let decoyHash = (try? PasswordHash.make(Secrets.random())) ?? ""

    // MARK: API keys

    /// Makes an API key; the returned secret (`base64(id:key)`, sent as `Authorization: ApiKey ...`) is shown once.
    public func createAPIKey(name: String, role: ConsoleRole) async throws -> (id: String, encoded: String) {
        let id = Secrets.identifier(), secret = Secrets.random()
        let key = APIKey(id: id, name: name, role: role, secretHash: Secrets.hash(secret), createdAt: RFC3339.string(from: Date()))
        try await keep(.apiKey, id: id, key)
        return (id, Data("\(id):\(secret)".utf8).base64EncodedString())
    }

    public func apiKeys() async throws -> [(id: String, name: String, role: ConsoleRole, createdAt: String)] {
        try await all(.apiKey, as: APIKey.self).map { ($0.id, $0.name, $0.role, $0.createdAt) }
    }

    public func revokeAPIKey(id: String) async throws -> Bool {
        try await store.deleteConsoleObject(kind: SettingKind.apiKey.rawValue, id: id)
    }

    /// The identity of `Authorization: ApiKey base64(id:key)`; nil when it is unknown or wrong.
    func identity(apiKey encoded: String) async throws -> ConsoleIdentity? {
        guard let decoded = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":") else { return nil }
        let id = String(decoded[..<colon]), secret = String(decoded[decoded.index(after: colon)...])
        guard let key = try await one(.apiKey, id: id, as: APIKey.self), Secrets.hashesMatch(key.secretHash, Secrets.hash(secret)) else { return nil }
        return ConsoleIdentity(name: key.name, role: key.role, csrfToken: nil, actor: "api_key:\(key.name)")
    }

    // MARK: Sessions

    /// Starts a session for `identity`; the token goes into the cookie and only its hash into the store.
    func startSession(for identity: ConsoleIdentity) async throws -> String {
        let token = Secrets.random()
        let session = Session(id: Secrets.hash(token), user: identity.name, role: identity.role, csrfToken: Secrets.random(), expiresAt: Date().addingTimeInterval(sessionLifetime))
        try await saveSession(session)
        return token
    }

    /// The identity of a session cookie, extending the session; nil when it is unknown or has expired.
    func identity(sessionToken token: String) async throws -> ConsoleIdentity? {
        let id = Secrets.hash(token)
        guard var session = try await one(.session, id: id, as: Session.self) else { return nil }
        guard session.expiresAt > Date() else {
            _ = try await store.deleteConsoleObject(kind: SettingKind.session.rawValue, id: id)
            return nil
        }
        // Written again only when a good part of its life has passed, so each page view is not a write.
        if session.expiresAt.timeIntervalSinceNow < sessionLifetime * 0.75 {
            session.expiresAt = Date().addingTimeInterval(sessionLifetime)
            try await saveSession(session)
        }
        return ConsoleIdentity(name: session.user, role: session.role, csrfToken: session.csrfToken, actor: "user:\(session.user)")
    }

    func endSession(token: String) async throws {
        _ = try await store.deleteConsoleObject(kind: SettingKind.session.rawValue, id: Secrets.hash(token))
    }

    func endSessions(of user: String) async throws {
        for session in try await all(.session, as: Session.self) where session.user == user {
            _ = try await store.deleteConsoleObject(kind: SettingKind.session.rawValue, id: session.id)
        }
    }

    func saveSession(_ session: Session) async throws {
        try await keep(.session, id: session.id, session)
    }

    // MARK: Records

    /// One record of `kind`; nil when there is none or it cannot be read.
    func one<T: Decodable>(_ kind: SettingKind, id: String, as type: T.Type) async throws -> T? {
        try await store.consoleObject(kind: kind.rawValue, id: id).flatMap { try? JSONDecoder.rfc3339.decode(T.self, from: Data($0.body.utf8)) }
    }

    func all<T: Decodable>(_ kind: SettingKind, as type: T.Type) async throws -> [T] {
        try await store.consoleObjects(kind: kind.rawValue).compactMap { try? JSONDecoder.rfc3339.decode(T.self, from: Data($0.body.utf8)) }
    }

    func keep<T: Encodable>(_ kind: SettingKind, id: String, _ value: T) async throws {
        let body = String(decoding: try JSONEncoder.rfc3339.encode(value), as: UTF8.self)
        try await store.saveConsoleObject(ConsoleObjectRecord(kind: kind.rawValue, id: id, body: body))
    }
}

extension JSONEncoder {
    static var rfc3339: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var rfc3339: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
