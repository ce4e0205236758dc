import Foundation
import FleetConsole
import FleetStore
import FleetTLS
import Logging
import NIOCore
import ServiceLifecycle

/// A console run in the same process as a Fleet Server (`server --console-port`, the quickstart), on the
/// server's own store object, so its changes are announced to the server's waiting check-ins at once.
enum ConsoleBeside {
    /// Checks and starts the console; `RunningConsole.stop()` shuts it down gracefully.
    /// Returns once the console listens; one that cannot (its port is taken) fails with a sentence, rather than
    /// leaving the Fleet Server running without the console it was asked for.
    static func start(_ configuration: ConsoleConfiguration, store: any Store, logger: Logger) async throws -> RunningConsole {
        let console = try await FleetConsole(configuration: configuration, store: store, logger: logger)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let service = console.service { port in
            say("Console listening on \(configuration.url(port: port))")
            listening.yield(port)
        }
        // In a group of its own, so that stopping it drains its connections instead of cancelling them.
        let group = ServiceGroup(services: [service], logger: logger)
        let task = Task {
            defer { listening.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard await iterator.next() == nil else { return RunningConsole(console: console, group: group, task: task) }
        let reason: String
        switch await task.result {
        case .failure(let error): reason = ListenFailure.reason(error) ?? "\(error)"
        case .success: reason = "it stopped at once"
        }
        throw FlotillaError("The console cannot listen on \(configuration.host):\(configuration.port): \(reason)", hint: "choose another --console-port or --console-host")
    }

    /// The console of a Fleet Server: its certificate and key (never asking browsers for client certificates),
    /// plain HTTP only when the server is, the secrets key in its data directory; the flags then override.
    static func configuration(for server: FleetServerTLSFacts, options: ConsoleOptions) -> ConsoleConfiguration {
        var configuration = ConsoleConfiguration()
        configuration.tls = TLSSettings(certificate: server.tls.certificate, key: server.tls.key, keyPassphrasePath: server.tls.keyPassphrasePath)
        configuration.insecureHTTP = server.insecureHTTP
        configuration.secretsKeyPath = absolutePath(server.dataDirectory + "/console-secrets.key")
        options.apply(to: &configuration)
        return configuration
    }
}

/// What the console takes from a Fleet Server's configuration.
struct FleetServerTLSFacts {
    var tls: TLSSettings
    var insecureHTTP: Bool
    var dataDirectory: String
}
