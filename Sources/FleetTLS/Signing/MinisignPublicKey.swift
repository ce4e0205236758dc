import Crypto
import Foundation

/// A release key in minisign's format: the public half of the Ed25519 key that signs agent binaries.
///
/// minisign's format is used so that an operator signs with `minisign -S` and anyone verifies a binary by hand with
/// `minisign -V -p KEY -m FILE`, with the same key file Fleet Server hands its agents.
public struct MinisignPublicKey: Sendable, Equatable {
    /// The key's 8-byte id, as stored (little-endian); signatures name the key they were made with.
    public var keyId: [UInt8]
    /// The raw 32-byte Ed25519 public key.
    public var rawKey: [UInt8]

    /// A key from its parts.
    public init(keyId: [UInt8], rawKey: [UInt8]) {
        self.keyId = keyId
        self.rawKey = rawKey
    }

    /// Reads a key from the text of a `.pub` file (an untrusted comment line, then the key in base64), or from the
    /// base64 line alone, as `minisign -P` takes it.
    /// - Parameter source: where the text came from, for the error ("the release key file /etc/flotilla/release.pub").
    public init(text: String, source: String) throws(FlotillaError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("untrusted comment:") }
        guard lines.count == 1, let bytes = Data(base64Encoded: lines[0]).map(Array.init), bytes.count == 42,
              bytes[0] == 0x45, bytes[1] == 0x64
        else {
            throw FlotillaError(
                "\(source) is not a minisign public key",
                hint: "give the .pub file that `minisign -G` wrote (a comment line, then one line of base64)"
            )
        }
        self.init(keyId: Array(bytes[2..<10]), rawKey: Array(bytes[10...]))
    }

    /// Reads a key file.
    /// - Parameter field: the flag or field that named it, for the error.
    public init(contentsOf path: String, field: String) throws(FlotillaError) {
        let file = try MinisignFile.read(path, what: "release key", field: field)
        try self.init(text: file.text, source: file.source)
    }

    /// The key id as minisign prints it: 16 hex digits, most significant byte first.
    public var keyIdHex: String { Hex.string(keyId.reversed(), uppercase: true) }

    /// The base64 line, as `minisign -P` takes it.
    public var base64: String { Data([0x45, 0x64] + keyId + rawKey).base64EncodedString() }

    /// The text of a `.pub` file.
    public var fileText: String { "untrusted comment: minisign public key \(keyIdHex)\n\(base64)\n" }

    /// Checks that `signature` was made by this key over the file at `path` and over its trusted comment.
    /// - Parameter what: the file's name in the error ("the artifact for 9.1.0").
    public func verify(_ signature: MinisignSignature, fileAt path: String, what: String) throws(FlotillaError) {
        try requireOwnKey(signature, what: what)
        let signed: [UInt8]
        switch signature.algorithm {
        case .prehashed:
            guard let digest = Self.blake2b(fileAt: path) else {
                throw FlotillaError("Cannot read \(what) at \(path)", hint: "check the path and its permissions")
            }
            signed = digest
        case .legacy:
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FlotillaError("Cannot read \(what) at \(path)", hint: "check the path and its permissions")
            }
            signed = Array(data)
        }
        try verifyParts(signature, signed: signed, what: what)
    }

    /// Checks `signature` over `data` in memory (a rotation statement, a small file).
    public func verify(_ signature: MinisignSignature, data: [UInt8], what: String) throws(FlotillaError) {
        try requireOwnKey(signature, what: what)
        try verifyParts(signature, signed: signature.algorithm == .prehashed ? BLAKE2b.hash(data) : data, what: what)
    }

    /// A signature names the key that made it: another key's is refused before any hashing.
    private func requireOwnKey(_ signature: MinisignSignature, what: String) throws(FlotillaError) {
        guard signature.keyId == keyId else {
            throw FlotillaError(
                "The signature of \(what) was made with key \(signature.keyIdHex), not the release key \(keyIdHex)",
                hint: "sign it with the release key, or rotate the agents' release key first"
            )
        }
    }

    private func verifyParts(_ signature: MinisignSignature, signed: [UInt8], what: String) throws(FlotillaError) {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawKey),
              key.isValidSignature(signature.signature, for: signed)
        else {
            throw FlotillaError(
                "The signature of \(what) does not match its contents: the file was changed after it was signed, or the signature belongs to another file",
                hint: "download the file and its .minisig again, or sign it again with the release key"
            )
        }
        guard key.isValidSignature(signature.globalSignature, for: signature.signature + Array(signature.trustedComment.utf8)) else {
            throw FlotillaError(
                "The trusted comment of the signature of \(what) was changed after it was signed",
                hint: "use the .minisig exactly as `minisign -S` wrote it"
            )
        }
    }

    /// The BLAKE2b-512 digest of a file, read a megabyte at a time; nil when it cannot be read.
    static func blake2b(fileAt path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = BLAKE2b()
        while true {
            // nil or empty is the end of the file; a read error throws.
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { return nil }
            guard let chunk, !chunk.isEmpty else { return hasher.finalize() }
            hasher.update(chunk)
        }
    }
}
