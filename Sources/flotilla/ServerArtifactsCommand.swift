import ArgumentParser
import FleetServer
import FleetStore
import FleetTLS
import Foundation

/// `flotilla server artifacts`: the agent binaries Fleet Servers hand out for upgrades, and the release key that
/// signs them (minisign's format, so anyone can check a binary by hand with `minisign -V`).
struct ServerArtifacts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "Add signed agent binaries for upgrades, list them, and set the release key that signs them.",
        subcommands: [Add.self, List.self, ReleaseKey.self]
    )

    /// The library on the store and data directory the options name.
    static func library(_ options: StoreOptions, store: any Store) throws -> ArtifactLibrary {
        var configuration = FleetServerConfiguration()
        try options.apply(to: &configuration)
        return ArtifactLibrary(directory: configuration.artifactsDirectory, store: store)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an agent binary for --version, signed with the release key (minisign -S -m FILE)."
        )

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The flotilla binary to hand out.")
        var file: String

        @Option(help: "The version it is, as UPGRADE actions name it (9.1.0).")
        var version: String

        @Option(help: "Its minisign signature (default: FILE.minisig).")
        var signature: String?

        func run() async throws {
            let record = try await storeOptions.withStore { store in
                try await ServerArtifacts.library(storeOptions, store: store)
                    .add(file: file, version: version, signatureFile: signature ?? file + ".minisig")
            }
            print("Added agent binary \(record.version) (\(record.size.formatted(.number.grouping(.automatic))) bytes, sha256 \(record.sha256)), signature checked against the release key.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the agent binaries and the release key.")

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let (artifacts, key) = try await storeOptions.withStore { store in
                (try await store.artifacts(), try await store.releaseKey())
            }
            if output == .json {
                try printJSON(artifacts)
                return
            }
            let keyId = key.flatMap { try? MinisignPublicKey(text: $0.publicKey, source: "the store") }?.keyIdHex
            print("Release key: \(keyId ?? "none (set one with flotilla server artifacts release-key FILE.pub)")")
            for artifact in artifacts {
                print("\(artifact.version)  sha256=\(artifact.sha256)  size=\(artifact.size)  added=\(artifact.addedAt.formatted(.iso8601))")
            }
        }
    }

    struct ReleaseKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "release-key",
            abstract: "Set the release key agents check upgrades against; a new key must be signed by the one before it."
        )

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The key's .pub file, as minisign -G wrote it.")
        var file: String

        @Option(help: "When a key is already set: the old key's signature of FILE (minisign -S -s OLD.key -m FILE).")
        var signedByPrevious: String?

        func run() async throws {
            let record = try await storeOptions.withStore { store in
                try await ServerArtifacts.library(storeOptions, store: store).setReleaseKey(
                    keyFile: file,
                    rotationFile: signedByPrevious
                )
            }
            let key = try MinisignPublicKey(text: record.publicKey, source: file)
            if record.rotation != nil {
                print("The release key is now \(key.keyIdHex), signed by the key before it: agents take it with their next upgrade.")
            } else {
                print("The release key is \(key.keyIdHex): agents enrolled from now on pin it, and those enrolled before take it with their first upgrade.")
            }
        }
    }
}
