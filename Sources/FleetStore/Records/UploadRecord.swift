import Foundation

/// A file an agent uploads through the contract's chunked upload routes (a diagnostics bundle): what it said it
/// would send, and how far it got. The bytes are kept apart (`Store.saveUploadContents`) once complete.
public struct UploadRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case uploading = "UPLOADING"
        case ready = "READY"
    }

    public var id: String
    public var agentId: String
    public var actionId: String
    public var name: String
    public var mimeType: String
    public var size: Int64
    /// The whole file's hex SHA-256, when the agent gave it at the start.
    public var sha256: String?
    public var chunkSize: Int64
    public var status: Status
    public var createdAt: Date
    public var completedAt: Date?

    public init(
        id: String, agentId: String, actionId: String, name: String, mimeType: String, size: Int64, sha256: String?,
        chunkSize: Int64, status: Status = .uploading, createdAt: Date = Date(), completedAt: Date? = nil
    ) {
        self.id = id
        self.agentId = agentId
        self.actionId = actionId
        self.name = name
        self.mimeType = mimeType
        self.size = size
        self.sha256 = sha256
        self.chunkSize = chunkSize
        self.status = status
        self.createdAt = createdAt
        self.completedAt = completedAt
    }

    /// How many chunks the file is cut into.
    public var chunkCount: Int { size == 0 ? 1 : Int((size + chunkSize - 1) / chunkSize) }

    /// The size chunk `index` must have: the chunk size, except the last, which is the rest.
    public func expectedSize(ofChunk index: Int) -> Int64 {
        index == chunkCount - 1 ? size - Int64(index) * chunkSize : chunkSize
    }

    enum CodingKeys: String, CodingKey {
        case id, name, size, sha256, status
        case agentId = "agent_id", actionId = "action_id", mimeType = "mime_type", chunkSize = "chunk_size"
        case createdAt = "created_at", completedAt = "completed_at"
    }
}
