import Foundation

/// A signature in minisign's `.minisig` format: an Ed25519 signature of a file (or of its BLAKE2b-512 digest) and a
/// second signature binding a trusted comment to it.
public struct MinisignSignature: Sendable, Equatable {
    /// What the first signature covers.
    public enum Algorithm: Sendable, Equatable {
        /// `ED`: the file's BLAKE2b-512 digest, minisign's default since 0.10.
        case prehashed
        /// `Ed`: the file itself (`minisign -S -l`).
        case legacy
    }

    public var algorithm: Algorithm
    /// The 8-byte id of the key that signed.
    public var keyId: [UInt8]
    /// The 64-byte Ed25519 signature of the file or its digest.
    public var signature: [UInt8]
    /// The comment signed with it (minisign puts a timestamp and the file's name there).
    public var trustedComment: String
    /// The 64-byte signature of `signature` followed by the trusted comment.
    public var globalSignature: [UInt8]

    /// A signature from its parts.
    public init(
        algorithm: Algorithm,
        keyId: [UInt8],
        signature: [UInt8],
        trustedComment: String,
        globalSignature: [UInt8]
    ) {
        self.algorithm = algorithm
        self.keyId = keyId
        self.signature = signature
        self.trustedComment = trustedComment
        self.globalSignature = globalSignature
    }

    /// Reads the text of a `.minisig` file.
    /// - Parameter source: where the text came from, for the error ("The signature (--signature) file x.minisig").
    public init(text: String, source: String) throws(FlotillaError) {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let unreadable = FlotillaError(
            "\(source) is not a minisign signature",
            hint: "give the .minisig file that `minisign -S` wrote (four lines: two comments, each after a line of base64)"
        )
        guard lines.count >= 4, lines[0].hasPrefix("untrusted comment:"), lines[2].hasPrefix("trusted comment: "),
              let first = Data(base64Encoded: lines[1].trimmingCharacters(in: .whitespaces)).map(Array.init),
              first.count == 74,
              let global = Data(base64Encoded: lines[3].trimmingCharacters(in: .whitespaces)).map(Array.init),
              global.count == 64
        else { throw unreadable }
        switch (first[0], first[1]) {
        case (0x45, 0x44): algorithm = .prehashed
        case (0x45, 0x64): algorithm = .legacy
        default: throw unreadable
        }
        keyId = Array(first[2..<10])
        signature = Array(first[10...])
        trustedComment = String(lines[2].dropFirst("trusted comment: ".count))
        globalSignature = global
    }

    /// Reads a `.minisig` file.
    /// - Parameter field: the flag or field that named it, for the error.
    public init(contentsOf path: String, field: String) throws(FlotillaError) {
        let file = try MinisignFile.read(path, what: "signature", field: field)
        try self.init(text: file.text, source: file.source)
    }

    /// The key id as minisign prints it.
    public var keyIdHex: String { Hex.string(keyId.reversed(), uppercase: true) }

    /// The text of a `.minisig` file.
    public var fileText: String {
        let alg: [UInt8] = algorithm == .prehashed ? [0x45, 0x44] : [0x45, 0x64]
        return """
            untrusted comment: signature from a flotilla release key
            \(Data(alg + keyId + signature).base64EncodedString())
            trusted comment: \(trustedComment)
            \(Data(globalSignature).base64EncodedString())

            """
    }
}
