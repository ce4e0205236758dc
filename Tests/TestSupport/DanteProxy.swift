import FleetServer
import Foundation

/// dante (Debian's `dante-server`) on a free loopback port: a real SOCKS5 proxy, with or without user and password.
/// Dante checks users against the system's accounts, so the credentials test needs the user `scripts/test.sh`
/// makes (`DanteProxy.user`); `userExists` tells a test whether it is there.
public final class DanteProxy: Sendable {
    let process: BackgroundProcess
    let directory: TemporaryDirectory
    public let port: Int

    /// The account scripts/test.sh makes for the SOCKS5 credentials test (no shell, no home).
    public static let user = "flotilla-socks"
    public static let password = "socks-test-password"
    public static var userExists: Bool { getpwnam(user) != nil }

    public static func start(requireCredentials: Bool = false) async throws -> DanteProxy {
        let directory = TemporaryDirectory("dante")
        let port = try FreePort.onLoopback()
        let privileged = getuid() == 0 ? "user.privileged: root\nuser.unprivileged: nobody\n" : ""
        let config = """
            logoutput: stderr
            internal: 127.0.0.1 port = \(port)
            external: 127.0.0.1
            clientmethod: none
            socksmethod: \(requireCredentials ? "username" : "none")
            \(privileged)client pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
            }
            socks pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
              command: connect
              log: connect error
            }

            """
        let file = directory.write("danted.conf", config)
        let process = try BackgroundProcess("danted", ["-f", file, "-p", directory.file("danted.pid")])
        _ = try await process.line(containing: "running", within: 30)
        return DanteProxy(process: process, directory: directory, port: port)
    }

    init(process: BackgroundProcess, directory: TemporaryDirectory, port: Int) {
        self.process = process
        self.directory = directory
        self.port = port
    }

    public var url: String { "socks5://127.0.0.1:\(port)" }

    /// What it logged: a `pass` line for each connection it made.
    public var log: String { process.printed }

    public func stop() {
        process.stop()
        directory.remove()
    }
}
