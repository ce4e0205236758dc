import ArgumentParser
import FleetConsole
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import ServiceLifecycle
import Yams

struct Console: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Run the console (management API and web UI) on any store, and manage its users and API keys.",
        subcommands: [ConsoleRun.self, ConsoleUsers.self, ConsoleAPIKeys.self],
        defaultSubcommand: ConsoleRun.self
    )
}

/// The console's listener and secrets key, shared by `console` and `server --console-port`.
struct ConsoleOptions: ParsableArguments {
    @Option(name: .customLong("console-host"), help: "The address the console listens on (default 127.0.0.1).")
    var host: String?

    @Option(name: .customLong("console-port"), help: "The console's port (default 5601).")
    var port: Int?

    @Option(name: .customLong("console-cert"), help: "The certificate the console presents to browsers.")
    var certificate: String?

    @Option(name: .customLong("console-cert-key"), help: "Its key.")
    var key: String?

    @Option(name: .customLong("console-cert-key-passphrase"), help: "A file holding the passphrase of an encrypted key.")
    var keyPassphrase: String?

    @Option(help: "The file with the key that seals secrets in the store (made 0600 when missing; default: console-secrets.key beside an SQLite store, else in the data directory).")
    var secretsKeyPath: String?

    func apply(to configuration: inout ConsoleConfiguration) {
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let certificate { configuration.tls.certificate = absolutePath(certificate) }
        if let key { configuration.tls.key = absolutePath(key) }
        if let keyPassphrase { configuration.tls.keyPassphrasePath = absolutePath(keyPassphrase) }
        if let secretsKeyPath { configuration.secretsKeyPath = absolutePath(secretsKeyPath) }
    }
}

struct ConsoleRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the console (the default).")

    @Option(help: "A YAML configuration file (host, port, tls, secrets_key_path, session_seconds); flags override it.")
    var config: String?

    @OptionGroup(title: "Console") var console: ConsoleOptions

    @OptionGroup(title: "Store") var storeOptions: StoreOptions

    @Flag(help: "Serve plain HTTP instead of TLS (never in production).")
    var insecureHTTP = false

    func run() async throws {
        var configuration = ConsoleConfiguration()
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw FlotillaError("The configuration file \(config) (--config) cannot be read", hint: "check the path")
            }
            do {
                configuration = try YAMLDecoder().decode(ConsoleConfiguration.self, from: text)
            } catch {
                throw FlotillaError("The configuration file \(config) (--config) is not valid (\(error))", hint: "check its YAML against the README")
            }
        }
        var server = FleetServerConfiguration()
        try storeOptions.apply(to: &server)
        if console.secretsKeyPath == nil, config == nil {
            // Beside an SQLite store (a copy of the store alone then still opens no secret, but the pair moves
            // together), else in the data directory.
            let home = server.usesPostgres ? server.dataDirectory : (absolutePath(server.storePath) as NSString).deletingLastPathComponent
            configuration.secretsKeyPath = absolutePath(home + "/console-secrets.key")
        }
        console.apply(to: &configuration)
        if insecureHTTP { configuration.insecureHTTP = true }
        if !configuration.insecureHTTP, configuration.tls.certificate == nil {
            throw FlotillaError("The console needs a certificate to serve HTTPS", hint: "pass --console-cert and --console-cert-key (flotilla certs init makes fleet-cert), or --insecure-http for a local experiment")
        }
        LogSettings.current.bootstrap()
        let logger = Logger(label: "console")
        let store = try await server.openStore(logger: logger)
        let console = try await FleetConsole(configuration: configuration, store: store, logger: logger)
        let settled = configuration
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: StoreService(store: store)), .init(service: console.service { port in
                say("Console listening on \(settled.url(port: port))")
            })],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }
}

/// Keeps the store listening for other processes' changes while the console runs, and closes it at the end.
struct StoreService: Service {
    let store: any Store

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            try? await ServiceLifecycle.gracefulShutdown()
            group.cancelAll()
        }
        try await store.close()
    }
}

/// Reads a password from a file (verbatim, less one trailing newline) or, when none is given, from standard input,
/// so it never shows in the process list.
func readPassword(file: String?) throws -> String {
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw FlotillaError("The password file \(file) (--password-file) cannot be read", hint: "check the path and its permissions")
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw FlotillaError("No password was given", hint: "pass --password-file, or type it on standard input")
    }
    return line
}

struct ConsoleUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Add, list and remove console users, and set their passwords.", subcommands: [Add.self, Passwd.self, Remove.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (the password from --password-file or standard input).")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The user's name.") var name: String
        @Option(help: "admin (changes everything) or viewer (reads only).") var role: String = "admin"
        @Option(help: "A file holding the password.") var passwordFile: String?

        func run() async throws {
            guard let role = ConsoleRole(rawValue: role) else { throw FlotillaError("--role \(role) is not a role", hint: "use admin or viewer") }
            let password = try readPassword(file: passwordFile)
            try await storeOptions.withStore { store in try await ConsoleAccounts(store: store).addUser(name, password: password, role: role) }
            print("Added console user \(name) (\(role.rawValue)).")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password; their sessions end.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The user's name.") var name: String
        @Option(help: "A file holding the new password.") var passwordFile: String?

        func run() async throws {
            let password = try readPassword(file: passwordFile)
            try await storeOptions.withStore { store in try await ConsoleAccounts(store: store).setPassword(name, password: password) }
            print("Set the password of console user \(name).")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user; their sessions end.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The user's name.") var name: String

        func run() async throws {
            guard try await storeOptions.withStore({ store in try await ConsoleAccounts(store: store).removeUser(name) }) else {
                throw FlotillaError("There is no console user \(name)", hint: "list them with flotilla console users list")
            }
            print("Removed console user \(name).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            for user in try await storeOptions.withStore({ store in try await ConsoleAccounts(store: store).users() }) {
                print("\(user.name)  \(user.role.rawValue)")
            }
        }
    }
}

struct ConsoleAPIKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api-keys", abstract: "Create, list and revoke API keys for the management API.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key, sent as Authorization: ApiKey KEY (shown once).")
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "A name to tell the key by in the audit log.") var name: String
        @Option(help: "admin or viewer.") var role: String = "admin"
        @Option(help: "Write the key to this file (0600) instead of printing it.") var outputFile: String?

        func run() async throws {
            guard let role = ConsoleRole(rawValue: role) else { throw FlotillaError("--role \(role) is not a role", hint: "use admin or viewer") }
            let made = try await storeOptions.withStore { store in try await ConsoleAccounts(store: store).createAPIKey(name: name, role: role) }
            if let outputFile {
                try SecureFileWriter.write(made.encoded + "\n", to: outputFile, secret: true)
                print("API key \(made.id) (\(role.rawValue)) written to \(outputFile).")
            } else {
                print("API key \(made.id) (\(role.rawValue)), shown once: \(made.encoded)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            for key in try await storeOptions.withStore({ store in try await ConsoleAccounts(store: store).apiKeys() }) {
                print("\(key.id)  \(key.name)  \(key.role.rawValue)  created \(key.createdAt)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The key's id (from api-keys list).") var id: String

        func run() async throws {
            guard try await storeOptions.withStore({ store in try await ConsoleAccounts(store: store).revokeAPIKey(id: id) }) else {
                throw FlotillaError("There is no API key \(id)", hint: "list them with flotilla console api-keys list")
            }
            print("Revoked API key \(id).")
        }
    }
}
