import ArgumentParser
import FleetAgent
import FleetProtocol
import FleetServer
import FleetTLS
import Foundation
import Logging

/// The flags `install` and `enroll` share, in the groups `--help` shows them in.
struct AgentSetupOptions: ParsableArguments {
    @OptionGroup(title: "Enrollment") var enrollment: AgentEnrollmentOptions
    @OptionGroup(title: "Agent TLS (agent → Fleet Server)") var agentTLS: AgentTLSOptions
    @OptionGroup(title: "Fleet Server run by this agent (any --fleet-server-* flag starts one)") var fleetServer: BootstrapOptions
    @OptionGroup(title: "Fleet Server → store") var store: StoreLinkOptions

    /// Checks every input, refuses to replace an enrollment without --force, then enrolls: into the Fleet Server at
    /// --url, or into a Fleet Server started in this process first. Nothing is written: the caller saves the state.
    /// `basePath` is absolute (`AgentLocation.path`).
    func enroll(replacing vault: AgentVault, basePath: String) async throws -> AgentState {
        let url = enrollment.url
        let tls = try agentTLS.settings(url: url)
        let options = try enrollment.connectionOptions()
        let configuration = try fleetServerConfiguration(agentTLS: tls, basePath: basePath)
        if vault.exists, !enrollment.force {
            throw FlotillaError("An agent is already enrolled here (state in \(vault.directory))", hint: "pass --force to replace it, or flotilla uninstall first")
        }
        let tags = commaSeparated(enrollment.tag), id = enrollment.id, replaceToken = enrollment.replaceToken, token = enrollment.enrollmentToken
        guard let configuration else {
            guard let token else {
                throw FlotillaError("--enrollment-token is required", hint: "make one with flotilla server tokens create, or run a Fleet Server in this agent with --fleet-server-es")
            }
            return try await Enrollment.enroll(url: url, token: token, tls: tls, tags: tags, id: id, replaceToken: replaceToken, options: options)
        }
        let local = LocalFleetServer(configuration: configuration, logger: Logger.quiet("fleet-server"))
        let healthTimeout = try fleetServer.timeoutSeconds()
        let state = try await local.run(agentURL: url, agentTLS: tls, options: options, healthTimeout: healthTimeout) { server, options in
            say("Fleet Server is running in this agent and answers at \(url) (through 127.0.0.1:\(options.localFleetServerPort ?? 0)).")
            let secret: String
            if let token { secret = token } else { secret = try await LocalFleetServer.selfEnrollmentToken(server) }
            var state = try await Enrollment.enroll(url: url, token: secret, tls: tls, tags: tags, id: id, replaceToken: replaceToken, options: options)
            try state.setLocalFleetServer(configuration)
            state.fleetServerTimeoutSeconds = healthTimeout
            return state
        }
        guard let state else { throw FlotillaError("Stopped by a signal before the agent was enrolled; nothing was installed") }
        return state
    }

    /// The configuration of the Fleet Server this agent runs, checked; nil when no --fleet-server-* flag was given.
    func fleetServerConfiguration(agentTLS: TLSSettings, basePath: String) throws -> FleetServerConfiguration? {
        guard store.store != nil || !fleetServer.server.isEmpty || !store.tls.isEmpty else { return nil }
        guard let storeURL = store.store else {
            throw FlotillaError("--fleet-server-es is required to run a Fleet Server in this agent", hint: "give the SQLite store made by flotilla server init")
        }
        try FleetServerConfiguration.checkStore(storeURL)
        var configuration = FleetServerConfiguration()
        configuration.store = storeURL
        if !configuration.usesPostgres {
            configuration.store = absolutePath(configuration.storePath)
            guard FileManager.default.fileExists(atPath: configuration.storePath) else {
                throw FlotillaError("The store \(configuration.storePath) (--fleet-server-es) does not exist", hint: "prepare it with flotilla server init --fleet-server-es \(configuration.storePath)")
            }
        }
        configuration.dataDirectory = basePath + "/fleet-server"
        try fleetServer.server.apply(to: &configuration)
        try fleetServer.agentCertificates.apply(to: &configuration)
        // As in Elastic's bootstrap, --certificate-authorities also names the CAs agents' certificates come from.
        configuration.tls.certificateAuthorities = agentTLS.certificateAuthorities
        guard let certificate = configuration.tls.certificate else {
            throw FlotillaError("--fleet-server-cert is required to run a Fleet Server in this agent", hint: "issue one for the host in --url (flotilla certs init makes fleet-cert)")
        }
        if configuration.tls.clientAuth != .none, agentTLS.certificateAuthorities.isEmpty {
            throw FlotillaError("--fleet-server-client-auth=\(configuration.tls.clientAuth.rawValue) needs --certificate-authorities naming the CA of agents' certificates", hint: "add the agent CA, as in --certificate-authorities=fleet-ca.crt,agent-ca.crt")
        }
        _ = try TLSServerContext(settings: configuration.tls, role: "Fleet Server")  // files, key match, passphrase
        if agentTLS.verificationMode == .full {
            try CertificateCheck.requireCovers(certificate, host: try HTTPEndpoint(url: enrollment.url, field: "--url").host, flag: "--fleet-server-cert", urlFlag: "--url")
        }
        try store.tls.apply(to: &configuration)
        // The agent's service will not have this shell's environment: a password must come from a file.
        if configuration.usesPostgres, configuration.storePasswordFile == nil, ProcessInfo.processInfo.environment["PGPASSWORD"] != nil {
            throw FlotillaError("PGPASSWORD is set, but the agent's service will not see it", hint: "put the store password in a 0600 file and give --fleet-server-es-password-file")
        }
        if configuration.storeTLS != nil, !configuration.usesPostgres {
            say("The --fleet-server-es-* TLS files are valid; the SQLite store \(configuration.storePath) is a local file and does not use them.")
        }
        configuration.publicURLs = [enrollment.url]
        return configuration
    }
}

/// The Fleet Server flags plus how long to wait for it.
struct BootstrapOptions: ParsableArguments {
    @OptionGroup var server: FleetServerOptions

    @OptionGroup var agentCertificates: AgentCertificateOptions

    @Option(name: .customLong("fleet-server-timeout"), help: "How long to wait for this agent's Fleet Server to be healthy, as a Go duration.")
    var timeout: String = "2m"

    func timeoutSeconds() throws(FlotillaError) -> Double {
        guard let seconds = parseGoDuration(timeout), seconds > 0 else {
            throw FlotillaError("--fleet-server-timeout \(timeout) is not a duration", hint: "write it like 2m or 90s")
        }
        return seconds
    }
}

/// Where the Fleet Server run by this agent keeps its state, and TLS towards it.
struct StoreLinkOptions: ParsableArguments {
    @Option(name: .customLong("fleet-server-es"), help: "The store made by flotilla server init: an SQLite path or sqlite: URL, or postgres://user@host:port/database.")
    var store: String?

    @OptionGroup var tls: StoreTLSOptions
}

extension Logger {
    /// A logger for a component that runs briefly inside a command which reports failures itself (one sentence):
    /// only errors, on stderr.
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        return logger
    }
}
