import FleetServer
import Foundation

/// nginx (Debian's package) run from a temporary prefix with a `server` block given by the test (the README's, with
/// its paths and ports replaced), inside a minimal `http` block.
public final class NginxProxy: Sendable {
    let process: BackgroundProcess
    let directory: TemporaryDirectory
    public let port: Int

    /// - Parameters:
    ///   - serverBlock: what goes inside `http { }`.
    ///   - port: the port `serverBlock` listens on, to wait for.
    public static func start(serverBlock: String, port: Int) async throws -> NginxProxy {
        let directory = TemporaryDirectory("nginx")
        chmod(directory.path, 0o755)
        let temporaries = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map {
            "    \($0)_temp_path \(directory.file($0));"
        }.joined(separator: "\n")
        let config = """
            worker_processes 1;
            error_log \(directory.file("error.log")) info;
            pid \(directory.file("nginx.pid"));
            events { worker_connections 256; }
            http {
                access_log \(directory.file("access.log"));
            \(temporaries)
            \(serverBlock)
            }

            """
        let file = directory.write("nginx.conf", config)
        let process = try BackgroundProcess("nginx", ["-p", directory.path, "-c", file, "-g", "daemon off;"])
        guard await waitForListener(port: port) else {
            process.stop()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "nginx did not listen on \(port): \(process.printed) \(String(describing: try? String(contentsOfFile: directory.file("error.log"), encoding: .utf8)))"])
        }
        return NginxProxy(process: process, directory: directory, port: port)
    }

    init(process: BackgroundProcess, directory: TemporaryDirectory, port: Int) {
        self.process = process
        self.directory = directory
        self.port = port
    }

    public var errorLog: String { (try? String(contentsOfFile: directory.file("error.log"), encoding: .utf8)) ?? "" }

    public func stop() {
        process.stop()
        directory.remove()
    }
}
