import ArgumentParser
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import Yams

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a standalone Fleet Server, prepare its store, and manage enrollment tokens.",
        subcommands: [
            ServerRun.self, ServerInit.self, ServerTokens.self, ServerServiceTokens.self, ServerAgents.self, ServerCerts.self,
            ServerCA.self, ServerArtifacts.self,
        ],
        defaultSubcommand: ServerRun.self
    )
}

/// The options that say where the store is, shared by every server subcommand.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("fleet-server-es"), help: "The store: an SQLite path or sqlite: URL (default: fleet.sqlite in the data directory), or postgres://user@host:port/database.")
    var store: String?

    @Option(name: .customLong("data-dir"), help: "Where Fleet Server keeps its state.")
    var dataDirectory: String?

    @OptionGroup var link: StoreTLSOptions

    func apply(to configuration: inout FleetServerConfiguration) throws {
        if let store {
            try FleetServerConfiguration.checkStore(store)
            configuration.store = store
        }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        try link.apply(to: &configuration)
    }

    /// Opens the store, runs `body`, and closes the store whatever happens.
    func withStore<T>(_ body: (any Store) async throws -> T) async throws -> T {
        var configuration = FleetServerConfiguration()
        try apply(to: &configuration)
        let store = try await configuration.openStore(logger: Logger.quiet("store"))
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

struct ServerRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the Fleet Server (the default).")

    @Option(help: "A YAML configuration file; flags override it.")
    var config: String?

    @OptionGroup(title: "Fleet Server") var fleetServer: FleetServerOptions

    @OptionGroup(title: "Fleet Server → store") var storeOptions: StoreOptions

    @OptionGroup(title: "Agent certificates (issued from each agent's CSR, renewed before they expire)") var agentCertificates: AgentCertificateOptions

    @Option(name: .customLong("certificate-authorities"), help: "CAs that sign agents' client certificates (comma-separated).")
    var certificateAuthorities: [String] = []

    @Option(name: .customLong("public-url"), help: "A URL agents reach this server at, pushed to them in policies (repeatable).")
    var publicURLs: [String] = []

    @Option(help: "Longest a check-in waits, as a Go duration (default 5m).")
    var pollTimeout: String?

    @Flag(help: "Serve plain HTTP instead of TLS (never in production).")
    var insecureHTTP = false

    @Option(name: .customLong("trusted-proxy"), help: "An address or CIDR range of a reverse proxy that terminates agents' mutual TLS and passes their certificates (repeatable).")
    var trustedProxies: [String] = []

    @Option(help: "The header such a proxy passes the agent's certificate in (default X-SSL-Client-Cert).")
    var clientCertificateHeader: String?

    @Option(help: "Serve Prometheus metrics at http://<metrics-host>:<port>/metrics (off unless given).")
    var metricsPort: Int?

    @Option(help: "The address the metrics listener binds (default 127.0.0.1).")
    var metricsHost: String?

    @OptionGroup(title: "Console beside it (--console-port starts one, with the Fleet Server's certificate)") var console: ConsoleOptions

    func resolvedConfiguration() throws -> FleetServerConfiguration {
        var configuration = FleetServerConfiguration()
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw FlotillaError("The configuration file \(config) cannot be read", hint: "check the path")
            }
            do {
                configuration = try YAMLDecoder().decode(FleetServerConfiguration.self, from: text)
            } catch {
                throw FlotillaError("The configuration file \(config) is not valid (\(error))", hint: "check its YAML against the README")
            }
        }
        try storeOptions.apply(to: &configuration)
        try fleetServer.apply(to: &configuration)
        try agentCertificates.apply(to: &configuration)
        if !certificateAuthorities.isEmpty { configuration.tls.certificateAuthorities = commaSeparated(certificateAuthorities).map(absolutePath) }
        if !publicURLs.isEmpty { configuration.publicURLs = publicURLs }
        if let pollTimeout {
            guard let seconds = parseGoDuration(pollTimeout), seconds > 0 else {
                throw FlotillaError("--poll-timeout \(pollTimeout) is not a duration", hint: "write it like 5m or 90s")
            }
            configuration.pollTimeoutSeconds = seconds
        }
        if insecureHTTP { configuration.insecureHTTP = true }
        if !trustedProxies.isEmpty { configuration.trustedProxies = trustedProxies }
        if let clientCertificateHeader { configuration.clientCertificateHeader = clientCertificateHeader }
        if let metricsPort { configuration.metricsPort = metricsPort }
        if let metricsHost { configuration.metricsHost = metricsHost }
        if let port = configuration.metricsPort, !(0...65535).contains(port) {
            throw FlotillaError("--metrics-port \(port) is not a port", hint: "give a number from 1 to 65535, or 0 for any free port")
        }
        _ = try configuration.trustedProxyRanges()
        _ = try configuration.clientCertificateHeaderName()
        if configuration.publicURLs.isEmpty {
            let scheme = configuration.insecureHTTP ? "http" : "https"
            configuration.publicURLs = ["\(scheme)://\(ProcessInfo.processInfo.hostName):\(configuration.port)"]
        }
        return configuration
    }

    func run() async throws {
        let configuration = try resolvedConfiguration()
        LogSettings.current.bootstrap()
        let logger = Logger(label: "fleet-server")
        let server = try await FleetServer(configuration: configuration, logger: logger)
        var console: RunningConsole?
        if self.console.port != nil {
            let facts = FleetServerTLSFacts(tls: configuration.tls, insecureHTTP: configuration.insecureHTTP, dataDirectory: configuration.dataDirectory)
            console = try await ConsoleBeside.start(ConsoleBeside.configuration(for: facts, options: self.console), store: server.store, logger: Logger(label: "console"))
        }
        do {
            try await server.run { port in
                let scheme = configuration.insecureHTTP ? "http" : "https"
                logger.info("Fleet Server listening on \(scheme)://\(configuration.host):\(port)")
                // A line on stdout that scripts and tests wait for.
                say("Fleet Server listening on \(scheme)://\(configuration.host):\(port)")
                if let files = server.openFilesLimit { say("Fleet Server \(files.described)") }
            } onMetricsListening: { port in
                logger.info("Fleet Server metrics on http://\(configuration.metricsHost):\(port)/metrics")
                say("Fleet Server metrics on http://\(configuration.metricsHost):\(port)/metrics")
            }
        } catch {
            await console?.stop()
            throw error
        }
        await console?.stop()
    }
}

struct ServerInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Prepare an empty store: a Fleet Server policy, a default agent policy, a service token and an enrollment token."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Write the service token to this file (0600) instead of printing it.")
    var serviceTokenPath: String?

    @Option(help: "Write the enrollment token to this file (0600) instead of printing it.")
    var enrollmentTokenPath: String?

    func run() async throws {
        let (made, path) = try await storeOptions.withStore { store in (try await StoreSetup.initialize(store), store.description) }
        print("Initialized the store \(path).")
        print("  Fleet Server policy: \(made.fleetServerPolicyId)")
        print("  Agent policy:        \(made.agentPolicyId)")
        if let serviceTokenPath {
            try SecureFileWriter.write(made.serviceToken + "\n", to: serviceTokenPath, secret: true)
            print("  Service token:       written to \(serviceTokenPath)")
        } else {
            print("  Service token:       \(made.serviceToken)   (shown once; only its hash is stored)")
        }
        if let enrollmentTokenPath {
            try SecureFileWriter.write(made.enrollmentToken + "\n", to: enrollmentTokenPath, secret: true)
            print("  Enrollment token:    written to \(enrollmentTokenPath)")
        } else {
            print("  Enrollment token:    \(made.enrollmentToken)   (for \(made.agentPolicyId); shown once)")
        }
    }
}

struct ServerTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Create, list and revoke enrollment tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an enrollment token bound to a policy.")

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "The policy agents enrolled with the token get.")
        var policy: String = StoreSetup.defaultPolicyId

        @Option(help: "A name to tell the token by.")
        var name: String = "token"

        @Option(help: "Expire after this Go duration (e.g. 24h).")
        var expiresIn: String?

        @Option(help: "Refuse enrollments after this many.")
        var maxUses: Int?

        func run() async throws {
            var expiry: Date?
            if let expiresIn {
                guard let seconds = parseGoDuration(expiresIn), seconds > 0 else {
                    throw FlotillaError("--expires-in \(expiresIn) is not a duration", hint: "write it like 24h or 30m")
                }
                expiry = Date().addingTimeInterval(seconds)
            }
            let made = try await storeOptions.withStore { store in
                try await StoreSetup.createEnrollmentToken(store, policyId: policy, name: name, expiresAt: expiry, maxUses: maxUses)
            }
            print("Enrollment token \(made.record.id) for \(policy) (shown once): \(made.secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrollment tokens (never their secrets).")

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let tokens = try await storeOptions.withStore { store in try await store.enrollmentTokens() }
            for token in tokens {
                let limit = token.maxUses.map { "\(token.uses)/\($0) uses" } ?? "\(token.uses) uses"
                let expiry = token.expiresAt.map { "expires \(RFC3339.string(from: $0))" } ?? "no expiry"
                print("\(token.id)  \(token.name)  policy=\(token.policyId)  \(limit)  \(expiry)\(token.revoked ? "  REVOKED" : "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an enrollment token.")

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The token's id (from tokens list).")
        var id: String

        func run() async throws {
            let revoked = try await storeOptions.withStore { store in try await store.revokeEnrollmentToken(id: id) }
            guard revoked else { throw FlotillaError("There is no enrollment token \(id)", hint: "list them with flotilla server tokens list") }
            print("Revoked enrollment token \(id).")
        }
    }
}
