import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging

/// A private PostgreSQL server (Debian's package) in a temporary directory, for one test: `ssl = on` with the
/// store certificate from `flotilla certs init`, and two roles as the seed's two links need them:
/// `flotilla_pw` logs in with a password over TLS, `flotilla` must present a client certificate (`hostssl ... cert`;
/// fleet-es-cert's common name is flotilla). Nothing but TLS is accepted over TCP.
public final class PostgresInstance: Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    public let password = "pw-\(UUID().uuidString.prefix(8))"
    let binaries: String
    let server = LockedBox<BackgroundProcess?>(nil)

    /// Where `flotilla certs init` wrote the certificates (es-ca, es-cert, fleet-es-cert...).
    public var certs: String { directory.file("certs") }
    public func cert(_ name: String) -> String { "\(certs)/\(name)" }
    var data: String { directory.file("data") }

    /// One instance for the whole test process, started on first use; tests take a fresh database each.
    public static let shared = Task { try await PostgresInstance.start() }

    /// Makes the certificates, the cluster and the two roles with a database each (`fleet_pw`, `fleet_cert`).
    public static func start() async throws -> PostgresInstance {
        let instance = try PostgresInstance()
        try await instance.prepare()
        return instance
    }

    init() throws {
        guard let bin = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted().last.map({ "/usr/lib/postgresql/\($0)/bin" }),
              FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw FlotillaError("PostgreSQL's server is not installed", hint: "scripts/test.sh installs it (apt-get install postgresql)")
        }
        binaries = bin
        directory = TemporaryDirectory("flotilla-postgres")
        port = try FreePort.onLoopback()
    }

    func prepare() async throws {
        // The store's certificate names store.example.test and 127.0.0.1 only: "localhost" is a wrong host name.
        let made = try await flotilla(["certs", "init", certs, "--dns", "store.example.test", "--ip", "127.0.0.1"])
        guard made.status == 0 else { throw FlotillaError("certs init failed: \(made.output)") }
        chmod(directory.path, 0o755)
        try await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], owning: directory.path)
        for name in ["es-cert.key", "es-ca.crt"] {
            try FileManager.default.copyItem(atPath: cert(name), toPath: "\(data)/\(name)")
        }
        // The server sends its CA after its certificate, as a pinned-CA client (ca_trusted_fingerprint) needs.
        let chain = try String(contentsOfFile: cert("es-cert.crt"), encoding: .utf8) + String(contentsOfFile: cert("es-ca.crt"), encoding: .utf8)
        try chain.write(toFile: "\(data)/es-cert.crt", atomically: true, encoding: .utf8)
        chmod("\(data)/es-cert.key", 0o600)
        let settings = """

            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(directory.path)'
            ssl = on
            ssl_cert_file = 'es-cert.crt'
            ssl_key_file = 'es-cert.key'
            ssl_ca_file = 'es-ca.crt'
            fsync = off

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
        try """
            local all all trust
            hostssl all flotilla_pw 127.0.0.1/32 scram-sha-256
            hostssl all flotilla 127.0.0.1/32 cert

            """.write(toFile: "\(data)/pg_hba.conf", atomically: true, encoding: .utf8)
        if getuid() == 0 { _ = try await ProcessRunner.run("/bin/chown", ["-R", "postgres:postgres", directory.path]) }
        try await startServer()
        try await psql(
            "CREATE ROLE flotilla_pw LOGIN CREATEDB PASSWORD '\(password)'", "CREATE ROLE flotilla LOGIN CREATEDB",
            "CREATE DATABASE fleet_pw OWNER flotilla_pw", "CREATE DATABASE fleet_cert OWNER flotilla",
            // Two Fleet Servers on one database, one per link: the certificate role works on the password role's tables.
            "GRANT flotilla_pw TO flotilla"
        )
    }

    /// Starts `postgres` as this test's child (not through pg_ctl, whose server would outlive the test and hold
    /// its pipes), waiting until it accepts connections.
    public func startServer() async throws {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : try ProcessRunner.which("python3")
        let command = asPostgresCommand(python, ["-c", Self.stopWithParent, "\(binaries)/postgres", "-D", data])
        let process = try BackgroundProcess(command.executable, command.arguments)
        server.withLock { $0 = process }
        _ = try await process.line(containing: "ready to accept connections")
    }

    /// Runs the server as a child of a small watcher that passes signals on and stops the server (fast shutdown)
    /// when the test process is gone, however it ended, so no server outlives its test run.
    static let stopWithParent = """
        import os, signal, subprocess, sys, time
        # A test runner may start its children with signals blocked; this watcher must hear them.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
        server = subprocess.Popen(sys.argv[1:])
        for name in (signal.SIGINT, signal.SIGTERM):
            signal.signal(name, lambda number, frame: server.send_signal(signal.SIGINT))
        parent = os.getppid()
        while server.poll() is None:
            if os.getppid() != parent:
                server.send_signal(signal.SIGINT)
                parent = os.getppid()
            time.sleep(0.2)
        sys.exit(server.returncode or 0)
        """

    /// Stops it the fast way: connections are cut, as in an outage.
    public func stopServer() async throws {
        guard let process = server.withLock({ $0 }) else { return }
        _ = await process.terminate(signal: SIGTERM)
        server.withLock { $0 = nil }
    }

    /// Kills the server outright (kill -9 of the postmaster), as a crash or an OOM kill would; `startServer()`
    /// brings it back through crash recovery.
    public func killServer() async {
        guard let process = server.withLock({ $0 }) else { return }
        if let text = try? String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8),
           let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGKILL)
        }
        // The watcher ends once its server has; signal 0 only waits for that.
        _ = await process.terminate(signal: 0)
        server.withLock { $0 = nil }
    }

    /// Runs SQL statements as the superuser over the local socket, each in its own transaction.
    public func psql(_ statements: String...) async throws {
        let commands = statements.flatMap { ["-c", $0] }
        let result = try await ProcessRunner.run("\(binaries)/psql", ["-h", directory.path, "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"] + commands)
        guard result.status == 0 else { throw FlotillaError("psql failed: \(result.output)") }
    }

    /// Everything in `database` as SQL text (pg_dump as the superuser), to look for what must never be stored.
    public func dump(database: String) async throws -> String {
        let result = try await ProcessRunner.run("\(binaries)/pg_dump", ["-h", directory.path, "-p", "\(port)", "-U", "postgres", "-d", database])
        guard result.status == 0 else { throw FlotillaError("pg_dump failed: \(result.output)") }
        return result.stdout
    }

    /// The store URL for the password role, or for the certificate role.
    public func url(certificateRole: Bool = false, database: String? = nil, host: String = "127.0.0.1") -> String {
        certificateRole ? "postgres://flotilla@\(host):\(port)/\(database ?? "fleet_cert")" : "postgres://flotilla_pw@\(host):\(port)/\(database ?? "fleet_pw")"
    }

    /// A fresh database for one test, owned by the password role (or the certificate role).
    public func createDatabase(certificateRole: Bool = false) async throws -> String {
        let name = "t_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try await psql("CREATE DATABASE \(name) OWNER \(certificateRole ? "flotilla" : "flotilla_pw")")
        return name
    }

    /// Store settings for a Fleet Server on `database`: the seed's one-way link (CA verified, password) or its
    /// mutual link (client certificate).
    public func configure(_ configuration: inout FleetServerConfiguration, database: String, certificateRole: Bool = false) {
        configuration.store = url(certificateRole: certificateRole, database: database)
        configuration.storeTLS = TLSSettings(
            certificateAuthorities: [cert("es-ca.crt")],
            certificate: certificateRole ? cert("fleet-es-cert.crt") : nil, key: certificateRole ? cert("fleet-es-cert.key") : nil
        )
        configuration.storePasswordFile = certificateRole ? nil : passwordFile
    }

    /// Opens `database` as a Fleet Server would (one-way link, password role unless `certificateRole`).
    public func openStore(database: String, certificateRole: Bool = false) async throws -> any Store {
        var configuration = FleetServerConfiguration()
        configure(&configuration, database: database, certificateRole: certificateRole)
        return try await configuration.openStore(logger: Logger(label: "test-store"))
    }

    /// `flotilla server init` on `database`: policies, a service token and an enrollment token.
    public func initializeStore(database: String, certificateRole: Bool = false) async throws -> StoreSetup.Initialized {
        let store = try await openStore(database: database, certificateRole: certificateRole)
        let made = try await StoreSetup.initialize(store)
        try await store.close()
        return made
    }

    /// A file holding the password role's password.
    public var passwordFile: String {
        let path = directory.file("store.password")
        if !FileManager.default.fileExists(atPath: path) { _ = directory.write("store.password", password + "\n") }
        return path
    }

    public func stop() async {
        try? await stopServer()
        directory.remove()
    }

    /// PostgreSQL refuses to run as root: its programs run as the postgres user, which must own the cluster.
    func asPostgres(_ program: String, _ arguments: [String], owning path: String?) async throws {
        if getuid() == 0, let path { _ = try await ProcessRunner.run("/bin/chown", ["-R", "postgres:postgres", path]) }
        let command = asPostgresCommand(program, arguments)
        let result = try await ProcessRunner.run(command.executable, command.arguments)
        guard result.status == 0 else { throw FlotillaError("\(program) failed: \(result.output)") }
    }

    /// The command line that runs `program` as the postgres user when this is root (setpriv execs in place, so the
    /// process started is the program itself).
    func asPostgresCommand(_ program: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        let path = program.hasPrefix("/") ? program : "\(binaries)/\(program)"
        guard getuid() == 0 else { return (path, arguments) }
        return ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments)
    }
}
