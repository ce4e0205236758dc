import FleetServer
import Foundation

/// tinyproxy (Debian's package) on a free loopback port: a real HTTP CONNECT proxy, optionally demanding
/// Basic credentials. Its log, with each CONNECT it served, is on its output.
public final class TinyProxy: Sendable {
    let process: BackgroundProcess
    let directory: TemporaryDirectory
    public let port: Int

    public static func start(user: String? = nil, password: String? = nil) async throws -> TinyProxy {
        let directory = TemporaryDirectory("tinyproxy")
        let port = try FreePort.onLoopback()
        var config = "Port \(port)\nListen 127.0.0.1\nTimeout 60\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.1\nDisableViaHeader Yes\n"
        if let user, let password { config += "BasicAuth \(user) \(password)\n" }
        let file = directory.write("tinyproxy.conf", config)
        let process = try BackgroundProcess("tinyproxy", ["-d", "-c", file])
        _ = try await process.line(containing: "Accepting connections")
        return TinyProxy(process: process, directory: directory, port: port)
    }

    init(process: BackgroundProcess, directory: TemporaryDirectory, port: Int) {
        self.process = process
        self.directory = directory
        self.port = port
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// What it logged so far: CONNECT lines name each tunnel it opened.
    public var log: String { process.printed }

    public func stop() { process.stop() }
}
