import FleetStore
import FleetTLS
import Foundation
import Hummingbird

extension AgentAPI {
    /// The binaries and the release key agents upgrade with.
    var artifacts: ArtifactLibrary { ArtifactLibrary(directory: configuration.artifactsDirectory, store: store) }

    /// `GET /api/fleet/artifacts/{id}/{sha2}`: an agent binary, to authenticated agents only. `id` is the version
    /// the UPGRADE action names and `sha2` its SHA-256, so a download can never be another file than the one asked.
    func artifact(_ request: Request, context: FleetRequestContext) async throws -> Response {
        _ = try await authenticatedAgent(request, context: context, agentInPath: false)
        let version = context.parameters.get("id") ?? "", sha256 = (context.parameters.get("sha2") ?? "").lowercased()
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
            throw APIError.badRequest("The artifact's hash \(sha256.debugDescription) is not a hex SHA-256")
        }
        guard let record = try await store.artifact(version: version), record.sha256 == sha256 else {
            throw APIError(.notFound, "No agent binary \(version) with SHA-256 \(sha256) was added to this fleet")
        }
        let path = artifacts.path(sha256: sha256)
        guard FileManager.default.fileExists(atPath: path) else {
            logger.error("The agent binary \(version) is in the store but not in \(artifacts.directory) on this Fleet Server")
            throw APIError(
                .notFound,
                "This Fleet Server does not have the file of agent binary \(version); it was added on another one"
            )
        }
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: "\(record.size)"], body: body
        )
    }

    /// `GET /api/agents/upgrades/{version}/pgp-public-key`: the fleet's release key. The contract's name says PGP;
    /// the key is minisign's (`minisign -V -p` checks a binary with it), and the same for every version.
    func releaseKey(_ request: Request, context: FleetRequestContext) async throws -> Response {
        let version = context.parameters.get("version") ?? ""
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw APIError.badRequest("\(version.debugDescription) is not a version of the form major.minor.patch")
        }
        // The contract lists no 404 here, and a fleet that has no key yet is not the server failing: a 400.
        guard let record = try await store.releaseKey() else {
            throw APIError.badRequest("This fleet has no release key yet: set one with flotilla server artifacts release-key FILE.pub")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: .init(byteBuffer: ByteBuffer(string: record.publicKey))
        )
    }
}
