import Foundation

/// One of the console's settings as the store keeps it: a Fleet Server host, an output, a proxy, a policy's
/// settings, a console user, an API key, a session. The console owns the JSON body's shape; the store only keeps
/// it, so a new kind of setting needs no migration.
public struct ConsoleObjectRecord: Sendable, Equatable {
    public var kind: String
    public var id: String
    /// The setting as JSON text. Secrets in it are hashed or encrypted by the console before it gets here.
    public var body: String
    public var updatedAt: Date

    public init(kind: String, id: String, body: String, updatedAt: Date = Date()) {
        self.kind = kind
        self.id = id
        self.body = body
        self.updatedAt = updatedAt
    }
}

/// One line of the console's audit log: who changed what, and when. Appended, never edited.
public struct AuditRecord: Sendable, Equatable {
    /// Orders the log; zero until stored.
    public var sequence: Int64
    public var at: Date
    /// The user or API key that made the change.
    public var actor: String
    /// What was done, as `resource.verb` (`outputs.update`).
    public var action: String
    /// The id of what it was done to.
    public var target: String
    /// A short account of the change, never a secret.
    public var detail: String

    public init(sequence: Int64 = 0, at: Date = Date(), actor: String, action: String, target: String, detail: String = "") {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}
