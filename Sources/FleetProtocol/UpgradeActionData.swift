/// The data of an UPGRADE action: the contract's `version`, `source_uri` and `rollback`, and Flotilla's additions
/// that let the agent check what it downloads before it runs it.
public struct UpgradeActionData: Sendable, Codable, Equatable {
    /// The version to upgrade to.
    public var version: String
    /// Where the binary is. Absent: the Fleet Server's `/api/fleet/artifacts/{version}/{sha256}`.
    public var sourceURI: String?
    public var rollback: Bool?
    /// Flotilla's: the binary's hex SHA-256 and size.
    public var sha256: String?
    public var size: Int64?
    /// Flotilla's: the TLS settings for `sourceURI` (CAs as inline PEM, pins, verification mode), in the shape of
    /// an output's `ssl`; absent, the agent uses its Fleet Server TLS settings there too.
    public var ssl: JSONValue?
    /// Flotilla's: the binary's minisign signature (`.minisig` text) by the release key.
    public var signature: String?
    /// Flotilla's: the fleet's release key, for an agent that has none pinned, and how it replaced the one before.
    public var releaseKey: ReleaseKey?

    /// A release key as an action carries it.
    public struct ReleaseKey: Sendable, Codable, Equatable {
        /// The `.pub` text.
        public var publicKey: String
        /// The key it replaced (`.pub` text), and that key's signature (`.minisig` text) of `publicKey`.
        public var previousKey: String?
        public var rotationSignature: String?

        public init(publicKey: String, previousKey: String? = nil, rotationSignature: String? = nil) {
            self.publicKey = publicKey
            self.previousKey = previousKey
            self.rotationSignature = rotationSignature
        }

        enum CodingKeys: String, CodingKey {
            case publicKey = "public_key", previousKey = "previous_key", rotationSignature = "rotation_signature"
        }
    }

    public init(
        version: String, sourceURI: String? = nil, rollback: Bool? = nil, sha256: String? = nil, size: Int64? = nil,
        ssl: JSONValue? = nil, signature: String? = nil, releaseKey: ReleaseKey? = nil
    ) {
        self.size = size
        self.ssl = ssl
        self.version = version
        self.sourceURI = sourceURI
        self.rollback = rollback
        self.sha256 = sha256
        self.signature = signature
        self.releaseKey = releaseKey
    }

    enum CodingKeys: String, CodingKey {
        case version, sourceURI = "source_uri", rollback, sha256, size, ssl, signature, releaseKey = "release_key"
    }
}
