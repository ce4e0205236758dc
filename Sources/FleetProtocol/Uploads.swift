/// `POST /api/fleet/uploads`: the file an agent is about to upload, and for which action.
public struct UploadBeginRequest: Sendable, Codable, Equatable {
    public var file: UploadFile
    public var actionID: String
    public var agentID: String
    /// `agent` or `endpoint`.
    public var src: String

    /// The contract's `file`: ECS file fields, of which these are read.
    public struct UploadFile: Sendable, Codable, Equatable {
        public var name: String
        public var size: Int64
        public var mimeType: String
        public var hash: Hash?
        public var compression: String?

        public struct Hash: Sendable, Codable, Equatable {
            public var sha256: String?
            public init(sha256: String?) { self.sha256 = sha256 }
        }

        public init(name: String, size: Int64, mimeType: String, hash: Hash? = nil, compression: String? = nil) {
            self.name = name
            self.size = size
            self.mimeType = mimeType
            self.hash = hash
            self.compression = compression
        }

        enum CodingKeys: String, CodingKey {
            case name, size, hash, mimeType = "mime_type", compression = "Compression"
        }
    }

    public init(file: UploadFile, actionID: String, agentID: String, src: String = "agent") {
        self.file = file
        self.actionID = actionID
        self.agentID = agentID
        self.src = src
    }

    enum CodingKeys: String, CodingKey {
        case file, src, actionID = "action_id", agentID = "agent_id"
    }
}

/// The answer to an upload's start: its id and the size every chunk but the last must have.
public struct UploadBeginResponse: Sendable, Codable, Equatable {
    public var uploadID: String
    public var chunkSize: Int64

    public init(uploadID: String, chunkSize: Int64) {
        self.uploadID = uploadID
        self.chunkSize = chunkSize
    }

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id", chunkSize = "chunk_size"
    }
}

/// `POST /api/fleet/uploads/{id}`: the SHA-256 of the chunks' SHA-256 digests, in order.
public struct UploadCompleteRequest: Sendable, Codable, Equatable {
    public var transithash: TransitHash

    public struct TransitHash: Sendable, Codable, Equatable {
        public var sha256: String
        public init(sha256: String) { self.sha256 = sha256 }
    }

    public init(transitHash: String) {
        transithash = TransitHash(sha256: transitHash)
    }
}
