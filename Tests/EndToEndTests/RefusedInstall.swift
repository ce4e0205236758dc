import Foundation
import TestSupport
import Testing

/// Runs `flotilla install` once per case and checks what a user would: it fails, says so in one line that contains
/// every expected part, and leaves nothing under its base path.
func expectInstallRefused(_ cases: [([String], [String])], in directory: TemporaryDirectory) async throws {
    for (arguments, parts) in cases {
        let base = directory.file("agent-\(UUID().uuidString.prefix(6))")
        let result = try await flotilla(["install"] + arguments + ["--base-path", base, "--non-interactive"])
        #expect(result.status != 0, "\(arguments)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        for part in parts {
            #expect(result.stderr.contains(part), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: base), "\(base) was left behind")
    }
}
