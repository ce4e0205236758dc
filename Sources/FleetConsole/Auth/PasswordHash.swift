import _CryptoExtras
import Crypto
import FleetStore
import Foundation

/// Console passwords, stored as salted PBKDF2-HMAC-SHA256: slow on purpose, so a copied store does not give them up.
enum PasswordHash {
    /// The floor swift-crypto accepts without its "unsafe" spelling, and OWASP's figure for PBKDF2-SHA256.
    static let rounds = 210_000

    static func make(_ password: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        return "pbkdf2-sha256$\(rounds)$\(salt.base64EncodedString())$\(try derive(password, salt: salt, rounds: rounds).base64EncodedString())"
    }

    static func matches(_ password: String, _ stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= self.rounds,
              let salt = Data(base64Encoded: parts[2]), let expected = Data(base64Encoded: parts[3]),
              let derived = try? derive(password, salt: salt, rounds: rounds) else { return false }
        return Secrets.hashesMatch(derived.base64EncodedString(), expected.base64EncodedString())
    }

    static func derive(_ password: String, salt: Data, rounds: Int) throws -> Data {
        try KDF.Insecure.PBKDF2.deriveKey(from: Data(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
            .withUnsafeBytes { Data($0) }
    }
}
