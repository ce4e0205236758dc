import Foundation

/// The fleet's release key: the minisign public key agents check upgrades against.
///
/// Agents pin the first key they are given. A new key is taken only with `rotation`, the old key's signature of the
/// new key's `.pub` text, so whoever can change the store cannot swap the key agents trust on their own.
public struct ReleaseKeyRecord: Codable, Sendable, Equatable {
    /// The `.pub` text of the key in force.
    public var publicKey: String
    /// The key before it and its signature of `publicKey`; nil for the fleet's first key.
    public var rotation: Rotation?
    public var setAt: Date

    /// How a key replaced the one before it.
    public struct Rotation: Codable, Sendable, Equatable {
        /// The `.pub` text of the key replaced.
        public var previousKey: String
        /// The `.minisig` text: the previous key's signature of the new key's `.pub` text.
        public var signature: String

        public init(previousKey: String, signature: String) {
            self.previousKey = previousKey
            self.signature = signature
        }

        enum CodingKeys: String, CodingKey {
            case previousKey = "previous_key", signature
        }
    }

    public init(publicKey: String, rotation: Rotation? = nil, setAt: Date = Date()) {
        self.publicKey = publicKey
        self.rotation = rotation
        self.setAt = setAt
    }

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key", rotation, setAt = "set_at"
    }
}
