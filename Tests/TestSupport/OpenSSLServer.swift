import Foundation

/// `openssl s_server -www` on a free loopback port: a TLS peer we did not write.
public final class OpenSSLServer: Sendable {
    let process: BackgroundProcess
    public let port: Int

    /// - Parameter verifyClientsWith: a CA file; the server then demands a client certificate (`-Verify 1`).
    public static func start(certificate: String, key: String, verifyClientsWith clientCA: String? = nil, extra: [String] = []) throws -> OpenSSLServer {
        var arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", certificate, "-key", key, "-www", "-naccept", "50"]
        if let clientCA { arguments += ["-Verify", "1", "-CAfile", clientCA, "-verify_return_error"] }
        let process = try BackgroundProcess("openssl", arguments + extra)
        let line = try process.waitForLine(containing: "ACCEPT", within: 30)
        guard let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no port in \(line)"])
        }
        return OpenSSLServer(process: process, port: port)
    }

    init(process: BackgroundProcess, port: Int) {
        self.process = process
        self.port = port
    }

    public func stop() { process.stop() }
}
