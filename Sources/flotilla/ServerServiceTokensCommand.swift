import ArgumentParser
import FleetProtocol
import FleetStore
import FleetTLS
import Foundation

/// `flotilla server service-tokens`: the tokens Fleet Servers present to the store. Revoking one stops every
/// Fleet Server that uses it within `service_token_check_seconds`.
struct ServerServiceTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-tokens",
        abstract: "Create, list and revoke the service tokens Fleet Servers present to the store.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a service token (only its hash is stored).")

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "A name to tell the token by.")
        var name: String

        @Option(help: "Write the token to this file (0600) instead of printing it.")
        var path: String?

        func run() async throws {
            let secret = Secrets.random()
            try await storeOptions.withStore { store in
                guard try await !store.serviceTokens().contains(where: { $0.name == name }) else {
                    throw FlotillaError("There is already a service token named \(name)", hint: "choose another --name")
                }
                // The file first: a token whose secret nobody received must not be stored.
                if let path { try SecureFileWriter.write(secret + "\n", to: path, secret: true) }
                do {
                    try await store.addServiceToken(name: name, secretHash: Secrets.hash(secret))
                } catch {
                    if let path { try? FileManager.default.removeItem(atPath: path) }
                    throw error
                }
            }
            if let path {
                print("Service token \(name) written to \(path).")
            } else {
                print("Service token \(name) (shown once): \(secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List service tokens (never their secrets).")

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            for token in try await storeOptions.withStore({ store in try await store.serviceTokens() }) {
                print("\(token.name)  created \(RFC3339.string(from: token.createdAt))\(token.revoked ? "  REVOKED" : "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a service token: Fleet Servers using it stop.")

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The token's name (from service-tokens list).")
        var name: String

        func run() async throws {
            let revoked = try await storeOptions.withStore { store in try await store.revokeServiceToken(name: name) }
            guard revoked else { throw FlotillaError("There is no service token named \(name)", hint: "list them with flotilla server service-tokens list") }
            print("Revoked service token \(name); Fleet Servers using it stop within their next check of it.")
        }
    }
}
