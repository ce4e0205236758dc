import Foundation

/// A certificate, key or CA given either as a path or as inline PEM, read once with a name fit for messages.
struct PEMSource: Sendable {
    /// The file's path, or "inline PEM" when the PEM was given in place.
    let origin: String
    let text: String

    /// Reads `source`; `role` says what it is for ("Fleet Server certificate") so a failure can name it.
    static func read(_ source: String, role: String) throws(FlotillaError) -> PEMSource {
        if source.contains("-----BEGIN ") {
            return PEMSource(origin: "inline PEM", text: normalized(source))
        }
        let path = (source as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FlotillaError("The \(role) file \(path) does not exist", hint: "check the path")
        }
        guard !isDirectory.boolValue else {
            throw FlotillaError("The \(role) path \(path) is a directory", hint: "give the path of the PEM file inside it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FlotillaError("The \(role) file \(path) cannot be read", hint: "check its permissions for this user")
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw FlotillaError("The \(role) file \(path) is not a PEM file", hint: "convert it to PEM")
        }
        return PEMSource(origin: path, text: normalized(text))
    }

    /// PEM with Windows line ends (and what a browser sends from a text area) reads like any other. Swift sees
    /// "\r\n" as one character, so without this a whole CRLF file would be one line.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// "file /x/y.crt" or "inline PEM", for sentences.
    var described: String {
        origin == "inline PEM" ? "inline PEM" : "file \(origin)"
    }

    /// The labels of the PEM blocks it holds, in order ("CERTIFICATE", "PRIVATE KEY", ...).
    var blockLabels: [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") else { return nil }
            let label = line.dropFirst(11).dropLast(5)
            // A label is a few capitals; anything else is not one, and must never reach a message (it may be a key).
            guard label.count <= 40, label.allSatisfy({ $0.isUppercase || $0 == " " || $0.isNumber }) else { return nil }
            return String(label)
        }
    }
}

/// Reads a passphrase file. It is used verbatim, and also without one trailing newline, since editors add one.
struct PassphraseFile: Sendable {
    let path: String
    /// The candidates to try, verbatim first.
    let candidates: [[UInt8]]

    /// - Parameter option: the flag or field the file was given with, named in every error.
    static func read(_ path: String, role: String, option: String? = nil) throws(FlotillaError) -> PassphraseFile {
        let expanded = (path as NSString).expandingTildeInPath
        let file = option.map { "\(expanded) (\($0))" } ?? expanded
        guard FileManager.default.fileExists(atPath: expanded) else {
            throw FlotillaError("The passphrase file \(file) for the \(role) does not exist", hint: "check the path")
        }
        guard let data = FileManager.default.contents(atPath: expanded) else {
            throw FlotillaError("The passphrase file \(file) for the \(role) cannot be read", hint: "check its permissions for this user")
        }
        var verbatim = [UInt8](data)
        guard !verbatim.isEmpty else {
            throw FlotillaError("The passphrase file \(file) for the \(role) is empty", hint: "write the key's passphrase into it")
        }
        var candidates = [verbatim]
        if verbatim.last == UInt8(ascii: "\n") {
            verbatim.removeLast()
            if verbatim.last == UInt8(ascii: "\r") { verbatim.removeLast() }
            if !verbatim.isEmpty { candidates.append(verbatim) }
        }
        return PassphraseFile(path: expanded, candidates: candidates)
    }
}

/// A passphrase to encrypt with, read from a file: without its trailing newline, so that `openssl -passin file:`
/// (which reads the first line) and Flotilla open the key with the same passphrase.
public enum PassphraseText {
    public static func read(_ path: String) throws(FlotillaError) -> String {
        let file = try PassphraseFile.read(path, role: "new key")
        return String(decoding: file.candidates.last!, as: UTF8.self)
    }
}
