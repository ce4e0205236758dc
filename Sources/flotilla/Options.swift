import ArgumentParser
import FleetTLS

/// ArgumentParser wrappers for library enums, so the libraries stay free of CLI types.
struct KeyAlgorithmOption: RawRepresentable, Sendable {
    var algorithm: KeyAlgorithm
    init?(rawValue: String) {
        guard let algorithm = KeyAlgorithm(rawValue: rawValue) else { return nil }
        self.algorithm = algorithm
    }
    var rawValue: String { algorithm.rawValue }
    static var allValueStrings: [String] { KeyAlgorithm.allCases.map(\.rawValue) }
}

struct CertificatePurposeOption: RawRepresentable, Sendable {
    var purpose: CertificatePurpose
    init?(rawValue: String) {
        guard let purpose = CertificatePurpose(rawValue: rawValue) else { return nil }
        self.purpose = purpose
    }
    var rawValue: String { purpose.rawValue }
    static var allValueStrings: [String] { CertificatePurpose.allCases.map(\.rawValue) }
}

/// Output files that must not be overwritten by surprise.
func refuseToOverwrite(_ paths: [String], force: Bool) throws(FlotillaError) {
    guard !force else { return }
    let existing = paths.filter { FileManager.default.fileExists(atPath: $0) }
    guard existing.isEmpty else {
        throw FlotillaError("\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : "")", hint: "choose another --out or pass --force to replace")
    }
}

import Foundation

/// Splits "a,b" and repeated options into one list, as elastic-agent's comma-separated flags do.
func commaSeparated(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
}

/// Prints a line at once, even when stdout is a pipe: long-running commands (quickstart, server) announce
/// readiness to scripts that wait for the line.
func say(_ text: String = "") {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// `--output text|json`, refused when it is neither.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Prints a value as the indented, key-sorted JSON the commands' `--output json` promises.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
