import Crypto
import FleetTLS
import Foundation

/// Secrets (enrollment tokens, agent API keys, service tokens) are random, shown once, and stored as SHA-256
/// hashes. They carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
public enum Secrets {
    /// 32 random bytes, base64url without padding.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A short random identifier (an agent or token id): 16 hex bytes as a UUID-like string.
    public static func identifier() -> String {
        UUID().uuidString.lowercased()
    }

    /// The stored form of a secret: hex SHA-256.
    public static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares two hashes in time independent of where they differ.
    public static func hashesMatch(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
