import Crypto
import Foundation

/// A release key's secret half, for signing agent binaries with minisign's format from Swift (the tests, and
/// operators who keep the key in flotilla's PKI rather than in minisign's own encrypted key file).
public struct MinisignSecretKey: Sendable {
    let key: Curve25519.Signing.PrivateKey
    /// The key id its signatures carry.
    public let keyId: [UInt8]

    /// A new random key.
    public init() {
        key = Curve25519.Signing.PrivateKey()
        var generator = SystemRandomNumberGenerator()
        keyId = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The public half, as agents pin it.
    public var publicKey: MinisignPublicKey {
        MinisignPublicKey(keyId: keyId, rawKey: Array(key.publicKey.rawRepresentation))
    }

    /// Signs `data` the way `minisign -S` does (prehashed), with `trustedComment` bound to the signature.
    public func sign(_ data: some Collection<UInt8>, trustedComment: String) throws -> MinisignSignature {
        let signature = Array(try key.signature(for: BLAKE2b.hash(data)))
        let global = Array(try key.signature(for: signature + Array(trustedComment.utf8)))
        return MinisignSignature(
            algorithm: .prehashed, keyId: keyId, signature: signature, trustedComment: trustedComment, globalSignature: global
        )
    }
}
