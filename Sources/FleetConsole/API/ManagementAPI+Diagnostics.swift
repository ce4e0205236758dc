import FleetProtocol
import FleetStore
import Foundation
import Hummingbird

extension ManagementAPI {
    /// Kibana's diagnostics routes: ask an agent for a bundle, list what it uploaded, download one.
    func addDiagnosticsRoutes(to api: RouterGroup<ConsoleRequestContext>) {
        api.post("agents/:id/request_diagnostics") { request, context in
            let id = try context.parameters.require("id")
            _ = try await Self.body(request, context: context, optional: true)
            let action = try await requestDiagnostics(id, by: try context.requireIdentity())
            return try Self.json(["actionId": .string(action.id)])
        }
        api.get("agents/:id/uploads") { _, context in
            let id = try context.parameters.require("id")
            _ = try await agentView(id)
            let items = try await diagnostics(of: id).map { upload -> JSONValue in
                [
                    "id": .string(upload.id), "name": .string(upload.name), "actionId": .string(upload.actionId),
                    "createTime": .string(RFC3339.string(from: upload.createdAt)), "status": .string(upload.status.rawValue),
                    "filePath": .string("/api/fleet/agents/files/\(upload.id)/\(upload.name)"), "size": .number(Double(upload.size)),
                ]
            }
            return try Self.json(["items": .array(items)])
        }
        api.get("agents/files/:fileId/:fileName") { _, context in
            let fileId = try context.parameters.require("fileId")
            guard let upload = try await store.upload(id: fileId), upload.status == .ready,
                  let contents = try await store.uploadContents(id: fileId)
            else { throw ConsoleError.notFound("The file \(fileId)") }
            return Response(status: .ok, headers: [
                .contentType: upload.mimeType, .contentDisposition: "attachment; filename=\"\(upload.name)\"",
            ], body: .init(byteBuffer: ByteBuffer(bytes: contents)))
        }
    }

    /// Sends REQUEST_DIAGNOSTICS to an enrolled agent.
    func requestDiagnostics(_ id: String, by identity: ConsoleIdentity) async throws -> ActionRecord {
        let view = try await agentView(id)
        guard view.record.unenrolledAt == nil else { throw ConsoleError.badRequest("The agent \(id) is unenrolled") }
        let action = try await store.addAction(ActionRecord(
            id: UUID().uuidString.lowercased(), type: ActionType.requestDiagnostics.rawValue, agentIds: [id],
            expiresAt: Date().addingTimeInterval(86_400)
        ))
        try await audit(identity, "agents.request_diagnostics", id, detail: "")
        return action
    }

    /// An agent's diagnostics bundles, newest first.
    func diagnostics(of id: String) async throws -> [UploadRecord] {
        try await store.uploads(agentId: id)
    }
}
