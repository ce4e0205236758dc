import Crypto
import FleetProtocol
import FleetTLS
import Foundation
import NIOCore

extension AgentRunner {
    /// Carries out REQUEST_DIAGNOSTICS: builds the bundle and uploads it through the contract's chunked upload
    /// routes. Returns the upload's id for the acknowledgement, or throws a sentence saying why it failed.
    func uploadDiagnostics(_ action: Action, state: AgentState, connection: FleetConnection) async throws(FlotillaError) -> String {
        let bundle = try DiagnosticsBundle.make(
            state: state, components: await pipeline?.components(), logs: pipeline?.logTap.recentLines() ?? []
        )
        let name = "flotilla-diagnostics-\(state.agentId)-\(Int(Date().timeIntervalSince1970)).zip"
        let begin = UploadBeginRequest(
            file: .init(name: name, size: Int64(bundle.count), mimeType: "application/zip", hash: .init(sha256: Hex.string(SHA256.hash(data: bundle)))),
            actionID: action.id, agentID: state.agentId
        )
        let authorization = "ApiKey \(state.accessAPIKey)"
        let started = try await connection.send(
            "POST",
            "/api/fleet/uploads",
            body: try? JSONEncoder().encode(begin),
            authorization: authorization
        )
        guard started.status == 200, let upload = try? JSONDecoder().decode(UploadBeginResponse.self, from: started.body), upload.chunkSize > 0 else {
            throw FlotillaError("Fleet Server refused the diagnostics upload (\(started.status)): \(started.message)")
        }
        var transit = SHA256()
        var offset = 0, index = 0
        repeat {
            let chunk = bundle.subdata(in: offset..<min(bundle.count, offset + Int(upload.chunkSize)))
            let digest = SHA256.hash(data: chunk)
            transit.update(data: Data(digest))
            let sent = try await connection.client.send(
                .PUT, "/api/fleet/uploads/\(upload.uploadID)/\(index)", body: ByteBuffer(bytes: chunk),
                headers: ["Authorization": authorization, "X-Chunk-SHA2": Hex.string(digest), "Content-Type": "application/octet-stream"]
            )
            guard sent.status == 200 else {
                throw FlotillaError("Fleet Server refused chunk \(index) of the diagnostics upload (\(sent.status)): \(sent.message)")
            }
            offset += chunk.count
            index += 1
        } while offset < bundle.count
        let done = try await connection.send(
            "POST", "/api/fleet/uploads/\(upload.uploadID)",
            body: try? JSONEncoder().encode(UploadCompleteRequest(transitHash: Hex.string(transit.finalize()))), authorization: authorization
        )
        guard done.status == 200 else {
            throw FlotillaError("Fleet Server refused to complete the diagnostics upload (\(done.status)): \(done.message)")
        }
        logger.info("Uploaded diagnostics (\(bundle.count) bytes) as \(upload.uploadID)")
        return upload.uploadID
    }
}
