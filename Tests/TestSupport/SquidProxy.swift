import FleetServer
import Foundation

/// squid (Debian's `squid-openssl`) on a free loopback port as an HTTPS proxy: TLS to the proxy with its own
/// certificate, a client certificate demanded when `clientCA` is given, then CONNECT. Its access log names each
/// tunnel it served.
public final class SquidProxy: Sendable {
    let process: BackgroundProcess
    let directory: TemporaryDirectory
    public let port: Int

    /// - Parameters:
    ///   - certificate, key: the proxy's own certificate (for `localhost`) and its unencrypted key.
    ///   - clientCA: when given, squid refuses clients without a certificate from this CA.
    public static func start(certificate: String, key: String, clientCA: String? = nil) async throws -> SquidProxy {
        let directory = TemporaryDirectory("squid")
        // squid started as root works as the user `proxy`: its files must be readable, its directory writable.
        chmod(directory.path, 0o777)
        for (name, source) in [("proxy.crt", certificate), ("proxy.key", key)] + (clientCA.map { [("client-ca.crt", $0)] } ?? []) {
            try FileManager.default.copyItem(atPath: source, toPath: directory.file(name))
            chmod(directory.file(name), 0o644)
        }
        let port = try FreePort.onLoopback()
        let clientAuth = clientCA == nil ? "" : " clientca=\(directory.file("client-ca.crt")) tls-cafile=\(directory.file("client-ca.crt"))"
        let config = """
            https_port 127.0.0.1:\(port) tls-cert=\(directory.file("proxy.crt")) tls-key=\(directory.file("proxy.key"))\(clientAuth)
            http_port 127.0.0.1:\(try FreePort.onLoopback())
            pid_filename \(directory.file("squid.pid"))
            access_log stdio:\(directory.file("access.log"))
            cache_log \(directory.file("cache.log"))
            coredump_dir \(directory.path)
            cache deny all
            pinger_enable off
            shutdown_lifetime 0 seconds
            acl localnet src 127.0.0.0/8
            http_access allow localnet
            http_access deny all

            """
        let file = directory.write("squid.conf", config)
        let process = try BackgroundProcess("squid", ["-N", "-d", "1", "-f", file])
        _ = try await process.line(containing: "Accepting HTTPS Socket connections", within: 60)
        return SquidProxy(process: process, directory: directory, port: port)
    }

    init(process: BackgroundProcess, directory: TemporaryDirectory, port: Int) {
        self.process = process
        self.directory = directory
        self.port = port
    }

    public var url: String { "https://localhost:\(port)" }

    /// Stops it with SIGTERM and waits: squid writes a tunnel's line when the tunnel closes, so the tunnels still open
    /// (an agent's kept-alive check-ins) are in the log only after this.
    public func shutDown() async {
        _ = await process.terminate(signal: SIGTERM, within: 20)
    }

    /// The tunnels it served: one `CONNECT host:port` line each, written when the tunnel closes.
    public var accessLog: String { (try? String(contentsOfFile: directory.file("access.log"), encoding: .utf8)) ?? "" }

    public func stop() {
        process.stop()
        directory.remove()
    }
}
