import Crypto
import FleetStore
import FleetTLS
import Foundation

/// The agent binaries Fleet Servers hand out for upgrades, and the release key that signs them.
///
/// A binary is kept in the artifacts directory under its SHA-256 (so a file is never half-replaced under a download)
/// and its record, signature included, in the store. Adding one checks its signature against the fleet's release
/// key first: a binary agents would refuse is refused here, before any UPGRADE action can name it.
public struct ArtifactLibrary: Sendable {
    public let directory: String
    let store: any Store

    /// - Parameters:
    ///   - directory: where the binaries are kept (`artifacts` in the Fleet Server's data directory).
    public init(directory: String, store: any Store) {
        self.directory = directory
        self.store = store
    }

    /// The file of an artifact, named by its hash.
    public func path(sha256: String) -> String {
        (directory as NSString).appendingPathComponent(sha256)
    }

    /// The fleet's release key, read; a sentence saying how to set one when there is none.
    public func releaseKey() async throws -> MinisignPublicKey {
        guard let record = try await store.releaseKey() else {
            throw FlotillaError(
                "No release key is set for this fleet",
                hint: "make one with `minisign -G` and set it with flotilla server artifacts release-key FILE.pub"
            )
        }
        return try MinisignPublicKey(text: record.publicKey, source: "The release key in the store")
    }

    /// Sets the release key. The first key is taken as given; a different key after it needs `rotation`, the old
    /// key's signature of the new key's `.pub` file (`minisign -S -m new.pub` with the old secret key), because
    /// agents accept a new key only with that signature.
    /// - Parameters:
    ///   - keyFile: the new key's `.pub` file (`--release-key`'s argument).
    ///   - rotationFile: the `.minisig` of `keyFile` made with the key in force (`--signed-by-previous`).
    public func setReleaseKey(keyFile: String, rotationFile: String?) async throws -> ReleaseKeyRecord {
        // Read once and kept as written: a rotation's signature covers these bytes, and agents check it over them.
        let (text, source) = try MinisignFile.read(keyFile, what: "release key", field: "release-key")
        let key = try MinisignPublicKey(text: text, source: source)
        var record = ReleaseKeyRecord(publicKey: text)
        if let current = try await store.releaseKey() {
            let previous = try MinisignPublicKey(text: current.publicKey, source: "The release key in the store")
            if previous == key { return current }
            guard let rotationFile else {
                throw FlotillaError(
                    "The fleet's release key is \(previous.keyIdHex) and agents trust only a key it signed",
                    hint: "sign \(keyFile) with the current secret key (minisign -S -m \(keyFile)) and pass --signed-by-previous \(keyFile).minisig"
                )
            }
            let signature = try MinisignSignature(contentsOf: rotationFile, field: "--signed-by-previous")
            try previous.verify(signature, data: Array(text.utf8), what: "the new release key \(key.keyIdHex)")
            record.rotation = .init(previousKey: current.publicKey, signature: signature.fileText)
        }
        try await store.saveReleaseKey(record)
        return record
    }

    /// Adds the agent binary at `file` for `version`, signed by `signatureFile` (`minisign -S -m FILE`).
    public func add(file: String, version: String, signatureFile: String) async throws -> ArtifactRecord {
        guard !version.isEmpty, version.allSatisfy({ $0.isLetter || $0.isNumber || "._-+".contains($0) }) else {
            throw FlotillaError(
                "--version \(version.debugDescription) is not a version",
                hint: "use digits, letters, dots and dashes, like 9.1.0"
            )
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw FlotillaError(
                "The agent binary \(file) does not exist",
                hint: "give the path of the flotilla binary to hand out"
            )
        }
        let key = try await releaseKey()
        let signature = try MinisignSignature(contentsOf: signatureFile, field: "--signature")
        try key.verify(signature, fileAt: file, what: "the agent binary \(file)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (digest, size) = try copyHashing(file)
        let record = ArtifactRecord(version: version, sha256: digest, size: size, signature: signature.fileText)
        try await store.saveArtifact(record)
        return record
    }

    /// Copies `file` into the directory under its SHA-256, through a temporary name and a rename, so a reader never
    /// sees part of a file.
    func copyHashing(_ file: String) throws(FlotillaError) -> (String, Int64) {
        let temporary = (directory as NSString).appendingPathComponent(".incoming-\(UUID().uuidString)")
        guard let input = FileHandle(forReadingAtPath: file) else {
            throw FlotillaError("The agent binary \(file) cannot be read", hint: "check its permissions")
        }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o644]),
              let output = FileHandle(forWritingAtPath: temporary)
        else {
            throw FlotillaError("Cannot write in the artifacts directory \(directory)", hint: "check its permissions")
        }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                try output.write(contentsOf: chunk)
                size += Int64(chunk.count)
            }
            try output.synchronize()
            try output.close()
            let digest = Hex.string(hasher.finalize())
            let target = path(sha256: digest)
            if rename(temporary, target) != 0 { throw CocoaError(.fileWriteUnknown) }
            return (digest, size)
        } catch {
            try? output.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw FlotillaError(
                "Copying \(file) into the artifacts directory \(directory) failed",
                hint: "check the free space and permissions there"
            )
        }
    }
}
