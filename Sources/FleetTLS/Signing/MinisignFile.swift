import Foundation

/// Reads a minisign file (a `.pub` key or a `.minisig` signature) for the types that parse them, with the sentence
/// that names the file and the flag when it cannot be read.
public enum MinisignFile {
    /// The file's text, and how to name it in a parsing error ("The release key (--release-key) file x.pub").
    /// - Parameters:
    ///   - what: "release key" or "signature".
    ///   - field: the flag or field that named the file.
    public static func read(_ path: String, what: String, field: String) throws(FlotillaError) -> (text: String, source: String) {
        let source = "The \(what) (\(field)) file \(path)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FlotillaError("\(source) cannot be read", hint: "check the path and its permissions")
        }
        return (String(decoding: data, as: UTF8.self), source)
    }
}
