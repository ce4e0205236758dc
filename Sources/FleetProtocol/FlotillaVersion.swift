/// The version this binary is, as agents report it and UPGRADE actions name it.
///
/// It is read from a fixed-width stamp in the binary, so a release can be stamped (and a test can make a second
/// build of another version) by rewriting those bytes in a copy of the file: `scripts/stamp-version.py`.
public enum FlotillaVersion {
    /// `flotilla-version:` and the version, padded with spaces to a fixed width.
    static let stamp: StaticString = "flotilla-version:0.1.0                          "

    /// The version, "0.1.0".
    public static let current: String = {
        let text = stamp.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        // No second literal for the prefix: the stamp must be the only place these bytes occur in the binary.
        return String(text.drop { $0 != ":" }.dropFirst().prefix { $0 != " " })
    }()
}
