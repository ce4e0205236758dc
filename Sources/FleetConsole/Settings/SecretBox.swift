import Crypto
import FleetTLS
import Foundation

/// Seals the secrets the console stores (inline private keys, output API keys) with AES-GCM under a key kept in a
/// 0600 file, so a copy of the store alone reveals none of them. Consoles that share a store share the key file.
public struct SecretBox: Sendable {
    let key: SymmetricKey

    /// Reads the key at `path`, making one (0600) when there is none.
    public init(keyPath path: String) throws(FlotillaError) {
        if let data = FileManager.default.contents(atPath: path) {
            guard let decoded = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
                  decoded.count == 32 else {
                throw FlotillaError("The console's secrets key \(path) is not a key this console made", hint: "restore the file, or give --secrets-key-path the file the other consoles use")
            }
            key = SymmetricKey(data: decoded)
            return
        }
        let made = SymmetricKey(size: .bits256)
        try SecureFileWriter.write(made.withUnsafeBytes { Data($0) }.base64EncodedString() + "\n", to: path, secret: true)
        key = made
    }

    init(key: SymmetricKey) {
        self.key = key
    }

    func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else { throw CryptoKitError.incorrectParameterSize }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String) throws(FlotillaError) -> String {
        do {
            guard let data = Data(base64Encoded: sealed) else { throw CryptoKitError.incorrectParameterSize }
            return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
        } catch {
            throw FlotillaError("A stored secret cannot be opened with this console's secrets key", hint: "give --secrets-key-path the key file the store was written with")
        }
    }
}
