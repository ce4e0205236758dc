import FleetTLS
import Foundation
import TestSupport
import Testing

/// Release signatures in minisign's format, checked against the tools users verify with by hand: coreutils' `b2sum`
/// for BLAKE2b-512 and Debian's `minisign` for keys and signatures, in both directions.
@Suite(.timeLimit(.minutes(5))) struct MinisignTests {
    let directory = TemporaryDirectory("flotilla-minisign")

    /// Random bytes of `count`, written to `name`.
    func randomFile(_ name: String, count: Int) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A key pair made by `minisign -G` without a password.
    func minisignKeys() throws -> (public: String, secret: String) {
        let pub = directory.file("release.pub"), key = directory.file("release.key")
        let made = try ProcessRunner.run("minisign", ["-G", "-W", "-p", pub, "-s", key])
        #expect(made.status == 0, "\(made.output)")
        return (pub, key)
    }

    @Test func blake2bMatchesTheRFCAndB2sum() throws {
        #expect(Hex.string(BLAKE2b.hash(Array("abc".utf8))) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        // Block edges (empty, one short of a block, a block, one over) and a file fed in uneven pieces.
        for count in [0, 127, 128, 129, 256, 300_001] {
            let path = try randomFile("data-\(count)", count: count)
            let b2sum = try ProcessRunner.run("b2sum", [path])
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            var pieces = BLAKE2b()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + start % 777)
                pieces.update(bytes[start..<end])
                start = end
            }
            let expected = String(b2sum.stdout.prefix(128))
            #expect(Hex.string(BLAKE2b.hash(bytes)) == expected, "\(count) bytes")
            #expect(Hex.string(pieces.finalize()) == expected, "\(count) bytes in pieces")
        }
    }

    @Test func signaturesMadeByMinisignAreVerified() throws {
        let keys = try minisignKeys()
        let file = try randomFile("flotilla-9.1.0", count: 200_000)
        let key = try MinisignPublicKey(contentsOf: keys.public, field: "--release-key")
        for legacy in [false, true] {
            let signed = try ProcessRunner.run("minisign", ["-S", "-s", keys.secret, "-m", file, "-t", "flotilla 9.1.0"] + (legacy ? ["-l"] : []))
            #expect(signed.status == 0, "\(signed.output)")
            let signature = try MinisignSignature(contentsOf: file + ".minisig", field: "--signature")
            #expect(signature.algorithm == (legacy ? .legacy : .prehashed))
            #expect(signature.trustedComment == "flotilla 9.1.0")
            #expect(signature.keyIdHex == key.keyIdHex)
            try key.verify(signature, fileAt: file, what: "the artifact for 9.1.0")
        }
        // The .pub text we write is one minisign reads.
        let rewritten = directory.write("rewritten.pub", key.fileText)
        let checked = try ProcessRunner.run("minisign", ["-V", "-p", rewritten, "-m", file])
        #expect(checked.status == 0, "\(checked.output)")
    }

    @Test func signaturesMadeHereAreVerifiedByMinisign() throws {
        let secret = MinisignSecretKey()
        let file = try randomFile("flotilla-9.2.0", count: 70_000)
        let signature = try secret.sign(Array(try Data(contentsOf: URL(fileURLWithPath: file))), trustedComment: "flotilla 9.2.0")
        _ = directory.write("flotilla-9.2.0.minisig", signature.fileText)
        let pub = directory.write("ours.pub", secret.publicKey.fileText)
        let checked = try ProcessRunner.run("minisign", ["-V", "-H", "-p", pub, "-m", file])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("flotilla 9.2.0"))
        // And by the base64 line alone, as `minisign -P` takes it.
        let byLine = try ProcessRunner.run("minisign", ["-V", "-P", secret.publicKey.base64, "-m", file])
        #expect(byLine.status == 0, "\(byLine.output)")
    }

    @Test func aChangedFileAWrongKeyAndAChangedCommentAreRefusedWithASentence() throws {
        let secret = MinisignSecretKey(), other = MinisignSecretKey()
        let file = try randomFile("flotilla-9.3.0", count: 10_000)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        let signature = try secret.sign(bytes, trustedComment: "flotilla 9.3.0")
        try secret.publicKey.verify(signature, fileAt: file, what: "the artifact for 9.3.0")

        bytes[5_000] ^= 0x01
        let tampered = directory.file("tampered")
        try Data(bytes).write(to: URL(fileURLWithPath: tampered))
        let changed = #expect(throws: FlotillaError.self) {
            try secret.publicKey.verify(signature, fileAt: tampered, what: "the artifact for 9.3.0")
        }
        #expect(changed?.message.contains("does not match its contents") == true)
        // minisign agrees.
        _ = directory.write("tampered.minisig", signature.fileText)
        let pub = directory.write("ours.pub", secret.publicKey.fileText)
        #expect(try ProcessRunner.run("minisign", ["-V", "-p", pub, "-m", tampered]).status != 0)

        let wrongKey = #expect(throws: FlotillaError.self) {
            try other.publicKey.verify(signature, fileAt: file, what: "the artifact for 9.3.0")
        }
        #expect(wrongKey?.message == "The signature of the artifact for 9.3.0 was made with key \(secret.publicKey.keyIdHex), not the release key \(other.publicKey.keyIdHex)")

        var comment = signature
        comment.trustedComment = "flotilla 9.9.9"
        let commentChanged = #expect(throws: FlotillaError.self) {
            try secret.publicKey.verify(comment, fileAt: file, what: "the artifact for 9.3.0")
        }
        #expect(commentChanged?.message.contains("trusted comment") == true)
    }

    @Test func filesThatAreNotKeysOrSignaturesAreNamed() throws {
        let notKey = directory.write("release.pub", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
        let key = #expect(throws: FlotillaError.self) { try MinisignPublicKey(contentsOf: notKey, field: "--release-key") }
        #expect(key?.message == "The release key (--release-key) file \(notKey) is not a minisign public key")
        let missing = #expect(throws: FlotillaError.self) {
            try MinisignSignature(contentsOf: directory.file("absent.minisig"), field: "--signature")
        }
        #expect(missing?.message == "The signature (--signature) file \(directory.file("absent.minisig")) cannot be read")
        let notSignature = directory.write("x.minisig", "untrusted comment: x\nnot base64\n")
        let signature = #expect(throws: FlotillaError.self) { try MinisignSignature(contentsOf: notSignature, field: "--signature") }
        #expect(signature?.message == "The signature (--signature) file \(notSignature) is not a minisign signature")
    }
}
