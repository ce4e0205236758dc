import Foundation

/// An agent binary Fleet Servers hand out for upgrades: its version, its SHA-256 (which names its file in the
/// artifacts directory) and the release key's minisign signature of it.
public struct ArtifactRecord: Codable, Sendable, Equatable {
    public var version: String
    /// Hex SHA-256 of the file.
    public var sha256: String
    public var size: Int64
    /// The `.minisig` text, as `minisign -S` wrote it.
    public var signature: String
    public var addedAt: Date

    public init(version: String, sha256: String, size: Int64, signature: String, addedAt: Date = Date()) {
        self.version = version
        self.sha256 = sha256
        self.size = size
        self.signature = signature
        self.addedAt = addedAt
    }

    enum CodingKeys: String, CodingKey {
        case version, sha256, size, signature, addedAt = "added_at"
    }
}
