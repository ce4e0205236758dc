import FleetProtocol
import FleetTLS
import Foundation

/// Artifacts, the release key and agents' uploads, kept as the store's generic objects: both stores hold them
/// without a migration, and every Fleet Server and console on a store sees the same ones.
extension Store {
    static var artifactKind: String { "artifact" }
    static var releaseKeyKind: String { "release_key" }

    /// Every artifact, newest version first by the time it was added.
    public func artifacts() async throws -> [ArtifactRecord] {
        try await consoleObjects(kind: Self.artifactKind).compactMap(Self.decode).sorted { $0.addedAt > $1.addedAt }
    }

    /// The artifact for `version`, if one was added.
    public func artifact(version: String) async throws -> ArtifactRecord? {
        try await consoleObject(kind: Self.artifactKind, id: version).flatMap(Self.decode)
    }

    /// Adds or replaces the artifact for its version.
    public func saveArtifact(_ artifact: ArtifactRecord) async throws {
        try await saveConsoleObject(ConsoleObjectRecord(kind: Self.artifactKind, id: artifact.version, body: Self.encode(artifact)))
    }

    /// Removes the artifact for `version`; false when there was none.
    public func deleteArtifact(version: String) async throws -> Bool {
        try await deleteConsoleObject(kind: Self.artifactKind, id: version)
    }

    /// The fleet's release key, if one was set.
    public func releaseKey() async throws -> ReleaseKeyRecord? {
        try await consoleObject(kind: Self.releaseKeyKind, id: "current").flatMap(Self.decode)
    }

    /// Sets the release key. The caller has checked a rotation's signature.
    public func saveReleaseKey(_ key: ReleaseKeyRecord) async throws {
        try await saveConsoleObject(ConsoleObjectRecord(kind: Self.releaseKeyKind, id: "current", body: Self.encode(key)))
    }

    /// An UPGRADE action for `agentIds` to `version`: the binary's hash and signature and the release key (with
    /// how it replaced the one before) travel in it, so the agent checks what it downloads before running it.
    /// Not yet stored: the caller adds it.
    /// - Parameter sourceURI: where agents download the binary instead of their Fleet Server (an HTTPS URL the
    ///   agents reach with their Fleet Server TLS settings).
    ///   - sourceSSL: the TLS settings agents use towards `sourceURI` (an output's `ssl` shape, CAs inline).
    public func upgradeAction(
        version: String, agentIds: [String], sourceURI: String? = nil, sourceSSL: JSONValue? = nil
    ) async throws -> ActionRecord {
        guard let artifact = try await artifact(version: version) else {
            throw FlotillaError(
                "No agent binary \(version) was added to this fleet",
                hint: "add it with flotilla server artifacts add FILE --version \(version)"
            )
        }
        guard let key = try await releaseKey() else {
            throw FlotillaError(
                "No release key is set for this fleet",
                hint: "set one with flotilla server artifacts release-key FILE.pub"
            )
        }
        let data = UpgradeActionData(
            version: version, sourceURI: sourceURI, sha256: artifact.sha256, size: artifact.size,
            ssl: sourceURI == nil ? nil : sourceSSL, signature: artifact.signature,
            releaseKey: .init(
                publicKey: key.publicKey,
                previousKey: key.rotation?.previousKey,
                rotationSignature: key.rotation?.signature
            )
        )
        return ActionRecord(
            id: "upgrade-\(Secrets.identifier())", type: ActionType.upgrade.rawValue, agentIds: agentIds,
            data: String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        )
    }

    static var uploadKind: String { "upload" }
    static var uploadContentsKind: String { "upload_contents" }

    /// An upload, by id.
    public func upload(id: String) async throws -> UploadRecord? {
        try await consoleObject(kind: Self.uploadKind, id: id).flatMap(Self.decode)
    }

    /// An agent's uploads, newest first.
    public func uploads(agentId: String) async throws -> [UploadRecord] {
        try await consoleObjects(kind: Self.uploadKind).compactMap { Self.decode($0) as UploadRecord? }
            .filter { $0.agentId == agentId }.sorted { $0.createdAt > $1.createdAt }
    }

    public func saveUpload(_ upload: UploadRecord) async throws {
        try await saveConsoleObject(ConsoleObjectRecord(kind: Self.uploadKind, id: upload.id, body: Self.encode(upload)))
    }

    /// Keeps a complete upload's bytes in the store, so a console on another host can hand them out.
    public func saveUploadContents(id: String, _ contents: Data) async throws {
        try await saveConsoleObject(ConsoleObjectRecord(kind: Self.uploadContentsKind, id: id, body: contents.base64EncodedString()))
    }

    public func uploadContents(id: String) async throws -> Data? {
        try await consoleObject(kind: Self.uploadContentsKind, id: id).flatMap { Data(base64Encoded: $0.body) }
    }

    /// Every object of `kind` that reads as `T` (JSON with ISO 8601 dates), for records kept without a table.
    public func objects<T: Decodable>(kind: String, as type: T.Type) async throws -> [T] {
        try await consoleObjects(kind: kind).compactMap(Self.decode)
    }

    /// Stores `value` as the object `kind`/`id`, in the form `objects(kind:as:)` reads.
    public func saveObject(_ value: some Encodable, kind: String, id: String) async throws {
        try await saveConsoleObject(ConsoleObjectRecord(kind: kind, id: id, body: Self.encode(value)))
    }

    private static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ object: ConsoleObjectRecord) -> T? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(T.self, from: Data(object.body.utf8))
    }
}
