import Crypto
import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import Hummingbird

extension AgentAPI {
    /// Chunks are 4 MiB, as Elastic's Fleet Server cuts them.
    static let uploadChunkSize: Int64 = 4 << 20
    /// A diagnostics bundle is a few megabytes; anything over this is refused at the start.
    static let maximumUploadSize: Int64 = 64 << 20

    /// Where an upload's chunks wait until it is complete.
    func uploadDirectory(_ id: String) -> String {
        (configuration.dataDirectory as NSString).appendingPathComponent("uploads/\(id)")
    }

    /// `POST /api/fleet/uploads`: starts an upload for an action sent to this agent.
    func uploadBegin(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context, agentInPath: false)
        let body = try await request.decodeJSON(UploadBeginRequest.self, context: context)
        guard body.agentID == agent.id else {
            throw APIError(
                .forbidden,
                "This API key belongs to agent \(agent.id), not to agent \(body.agentID) named in agent_id"
            )
        }
        guard let action = try await store.action(id: body.actionID), action.agentIds.contains(agent.id) else {
            throw APIError.badRequest("The field action_id names no action sent to agent \(agent.id)")
        }
        guard body.file.size >= 0, body.file.size <= Self.maximumUploadSize else {
            throw APIError.badRequest("The field file.size must be from 0 to \(Self.maximumUploadSize) bytes")
        }
        let sha256 = body.file.hash?.sha256?.lowercased()
        if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw APIError.badRequest("The field file.hash.sha256 is not a hex SHA-256")
        }
        guard !body.file.name.isEmpty, !body.file.name.contains("/") else {
            throw APIError.badRequest("The field file.name must be a file name without a directory")
        }
        let upload = UploadRecord(
            id: UUID().uuidString.lowercased(), agentId: agent.id, actionId: action.id, name: body.file.name,
            mimeType: body.file.mimeType, size: body.file.size, sha256: sha256, chunkSize: Self.uploadChunkSize
        )
        try FileManager.default.createDirectory(atPath: uploadDirectory(upload.id), withIntermediateDirectories: true)
        try await store.saveUpload(upload)
        return try .json(UploadBeginResponse(uploadID: upload.id, chunkSize: upload.chunkSize))
    }

    /// The upload in the path, if it is this agent's and still open.
    func openUpload(_ request: Request, context: FleetRequestContext) async throws -> UploadRecord {
        let agent = try await authenticatedAgent(request, context: context, agentInPath: false)
        let id = context.parameters.get("id") ?? ""
        guard let upload = try await store.upload(id: id), upload.agentId == agent.id else {
            throw APIError.badRequest("There is no upload \(id) of agent \(agent.id)")
        }
        guard upload.status == .uploading else { throw APIError.badRequest("The upload \(id) is already complete") }
        return upload
    }

    /// `PUT /api/fleet/uploads/{id}/{chunkNum}`: one chunk, checked against its X-Chunk-SHA2 and its expected size.
    func uploadChunk(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let upload = try await openUpload(request, context: context)
        guard let index = context.parameters.get("chunkNum").flatMap(Int.init), index >= 0, index < upload.chunkCount else {
            throw APIError.badRequest("The chunk number must be from 0 to \(upload.chunkCount - 1) for this upload")
        }
        guard let claimed = request.headers[.init("X-Chunk-SHA2")!]?.lowercased(), claimed.count == 64 else {
            throw APIError.badRequest("The X-Chunk-SHA2 header must carry the chunk's hex SHA-256")
        }
        let expected = upload.expectedSize(ofChunk: index)
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Int(expected)) } catch {
            throw APIError(.contentTooLarge, "Chunk \(index) must be \(expected) bytes")
        }
        guard body.readableBytes == expected else {
            throw APIError.badRequest("Chunk \(index) must be \(expected) bytes, not \(body.readableBytes)")
        }
        let bytes = Data(buffer: body)
        guard Hex.string(SHA256.hash(data: bytes)) == claimed else {
            throw APIError.badRequest("Chunk \(index) does not match its X-Chunk-SHA2: it was changed on the way; send it again")
        }
        let path = (uploadDirectory(upload.id) as NSString).appendingPathComponent("\(index)")
        do {
            try SecureFileWriter.write(data: bytes, to: path)
        } catch {
            logger.error("Cannot keep chunk \(index) of upload \(upload.id) in \(path): \(error.description)")
            throw APIError(.internalServerError, "This Fleet Server cannot keep the chunk; try again later")
        }
        return Response(status: .ok)
    }

    /// `POST /api/fleet/uploads/{id}`: checks every chunk is there, the transit hash and the whole file's hash, then
    /// keeps the file in the store and drops the chunks.
    func uploadComplete(_ request: Request, context: FleetRequestContext) async throws -> Response {
        var upload = try await openUpload(request, context: context)
        let body = try await request.decodeJSON(UploadCompleteRequest.self, context: context)
        var contents = Data()
        var transit = SHA256()
        for index in 0..<upload.chunkCount {
            let path = (uploadDirectory(upload.id) as NSString).appendingPathComponent("\(index)")
            guard let chunk = FileManager.default.contents(atPath: path) else {
                throw APIError.badRequest("Chunk \(index) of upload \(upload.id) was not sent")
            }
            transit.update(data: Data(SHA256.hash(data: chunk)))
            contents.append(chunk)
        }
        guard Hex.string(transit.finalize()) == body.transithash.sha256.lowercased() else {
            throw APIError.badRequest("The transithash does not match the chunks received; send the chunks again")
        }
        if let sha256 = upload.sha256, Hex.string(SHA256.hash(data: contents)) != sha256 {
            throw APIError.badRequest("The file received does not match the file.hash.sha256 given at the start")
        }
        try await store.saveUploadContents(id: upload.id, contents)
        upload.status = .ready
        upload.completedAt = Date()
        try await store.saveUpload(upload)
        try? FileManager.default.removeItem(atPath: uploadDirectory(upload.id))
        return try .json(["status": "ok"])
    }

    /// `GET /api/fleet/file/{id}`: a file this agent uploaded, back to it.
    func file(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let agent = try await authenticatedAgent(request, context: context, agentInPath: false)
        let id = context.parameters.get("id") ?? ""
        guard let upload = try await store.upload(id: id), upload.agentId == agent.id, upload.status == .ready,
              let contents = try await store.uploadContents(id: id)
        else { throw APIError(.notFound, "There is no file \(id) for agent \(agent.id)") }
        return Response(
            status: .ok, headers: [.contentType: upload.mimeType], body: .init(byteBuffer: ByteBuffer(data: contents))
        )
    }
}
