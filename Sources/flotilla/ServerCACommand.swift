import ArgumentParser
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import X509

/// `flotilla server ca`: the phased rotation of the agent CA, followed by every Fleet Server on the store, with how
/// many agents have reached each phase.
struct ServerCA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Rotate the agent CA in phases that cut no agent off, and see how far the fleet is.",
        subcommands: [Status.self, Rotate.self, ServerRotate.self],
        defaultSubcommand: Status.self
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the rotation's phase and how many agents are on each CA.")

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let (rotation, progress) = try await storeOptions.withStore { store -> (AgentCARotation?, AgentCARotation.Progress?) in
                guard let rotation = try await store.agentCARotation() else { return (nil, nil) }
                return (rotation, try await store.progress(of: rotation))
            }
            guard let rotation, let progress else {
                if output == .json { try printJSON([String: String]()) } else { print("No agent CA rotation: the configured agent CA (--agent-ca) issues agents' certificates.") }
                return
            }
            if output == .json {
                struct Report: Encodable { var phase: String; var number: Int; var summary: String; var progress: AgentCARotation.Progress }
                try printJSON(Report(phase: rotation.phase.rawValue, number: rotation.phase.number, summary: rotation.phase.summary, progress: progress))
                return
            }
            print(Rotate.describe(rotation, progress))
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start, advance, roll back, or hurry the agent CA rotation.",
            discussion: """
                Phases: 1 trust-both (Fleet Servers trust both CAs; the old one issues), 2 issue-new (the new CA issues; \
                agents move as they renew, or all now with renew-all), 3 retire-old (only the new CA is trusted). Each \
                can be rolled back. Fleet Servers on the store follow within seconds.
                """,
            subcommands: [Start.self, Next.self, Rollback.self, RenewAll.self]
        )

        static func describe(_ rotation: AgentCARotation, _ progress: AgentCARotation.Progress) -> String {
            """
            Agent CA rotation: phase \(rotation.phase.number) of 3 (\(rotation.phase.rawValue)): \(rotation.phase.summary).
              active agents:              \(progress.active)
              on the new CA:              \(progress.onNewCA)
              on the old CA:              \(progress.onOldCA)
              without a valid certificate: \(progress.withoutValidCertificate) (switched off past its end: they renew within the grace, or must be enrolled again)
            """
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Make the new agent CA and enter phase 1: Fleet Servers trust both CAs.")

            @OptionGroup var storeOptions: StoreOptions

            @Option(name: .customLong("agent-ca"), help: "The agent CA in use now (the Fleet Servers' --agent-ca).")
            var current: String?

            @Option(name: .customLong("agent-ca-key-passphrase-path"), help: "The passphrase file of the Fleet Servers' agent CA key; the new CA's key is encrypted with it.")
            var passphrasePath: String

            @Option(help: "Path prefix of the new CA's files, e.g. certs/agent-ca-2 (writes .crt and .key).")
            var out: String

            @Option(help: "Validity of the new CA, in days.")
            var days: Int = 3650

            func run() async throws {
                let paths = ["\(out).crt", "\(out).key"].map(absolutePath)
                for path in paths where FileManager.default.fileExists(atPath: path) {
                    throw FlotillaError("\(path) already exists (--out)", hint: "choose another --out prefix")
                }
                guard let passphrase = FileManager.default.contents(atPath: absolutePath(passphrasePath)), !passphrase.isEmpty else {
                    throw FlotillaError("The passphrase file \(absolutePath(passphrasePath)) (--agent-ca-key-passphrase-path) cannot be read or is empty", hint: "give the passphrase file the Fleet Servers open their agent CA key with")
                }
                let made = try PKI.makeCA(commonName: "Flotilla Agent CA \(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))", validityDays: days)
                let keyPEM = try made.key.pem(passphrase: Array(passphrase))
                try await storeOptions.withStore { store in
                    let existing = try await store.agentCARotation()
                    let previous: String
                    var previousKey: String?
                    if let existing {
                        guard existing.phase == .retireOld else {
                            throw FlotillaError("A rotation is already in phase \(existing.phase.number) (\(existing.phase.rawValue))", hint: "finish it with flotilla server ca rotate next, or roll it back")
                        }
                        previous = existing.nextCertificate  // the CA the last rotation moved to
                        previousKey = existing.nextKey
                    } else {
                        guard let current else {
                            throw FlotillaError("The agent CA in use now is needed to start the first rotation", hint: "pass --agent-ca with the Fleet Servers' agent CA certificate")
                        }
                        guard let certificate = try CertificateFiles.loadChain(absolutePath(current), role: "agent CA (--agent-ca)").first else {
                            throw FlotillaError("The agent CA file \(current) (--agent-ca) holds no certificate", hint: "check the path")
                        }
                        previous = certificate.pemText
                    }
                    // Files first, then the store: a failure leaves no rotation pointing at files that do not exist.
                    try SecureFileWriter.write(made.certificate.pemText, to: paths[0], secret: false)
                    try SecureFileWriter.write(keyPEM, to: paths[1], secret: true)
                    try await store.saveAgentCARotation(AgentCARotation(
                        phase: .trustBoth, previousCertificate: previous, nextCertificate: made.certificate.pemText, nextKey: keyPEM,
                        previousKey: previousKey
                    ))
                }
                print("Phase 1 of 3: Fleet Servers on this store now trust agent certificates from both CAs; the old CA still issues them.")
                print("The new CA is in \(paths[0]) (key \(paths[1]), encrypted with the same passphrase). Next: flotilla server ca rotate next")
            }
        }

        struct Next: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move to the next phase once it is safe.")

            @OptionGroup var storeOptions: StoreOptions

            @Flag(help: "Retire the old CA even though active agents still use it (they renew over their API key within the grace).")
            var force = false

            func run() async throws {
                let moved = try await storeOptions.withStore { store -> (AgentCARotation, AgentCARotation.Progress) in
                    let rotation = try await store.advanceAgentCARotation(force: force)
                    return (rotation, try await store.progress(of: rotation))
                }
                print(Rotate.describe(moved.0, moved.1))
            }
        }

        struct Rollback: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Go back one phase; from phase 1, end the rotation.")

            @OptionGroup var storeOptions: StoreOptions

            func run() async throws {
                let back = try await storeOptions.withStore { store in try await store.rollBackAgentCARotation() }
                if let back {
                    print("Back to phase \(back.phase.number) of 3 (\(back.phase.rawValue)): \(back.phase.summary).")
                } else {
                    print("The rotation was rolled back: the configured agent CA alone is in force again.")
                }
            }
        }

        struct RenewAll: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "renew-all",
                abstract: "Tell every active agent to renew its certificate now (phase 2); Fleet Servers pace them at enroll_rate."
            )

            @OptionGroup var storeOptions: StoreOptions

            func run() async throws {
                let count = try await storeOptions.withStore { store in try await store.renewAllForAgentCARotation() }
                print("Told \(count) agent\(count == 1 ? "" : "s") to renew now; flotilla server ca status shows how many are on the new CA.")
            }
        }
    }

    /// The rotation of the CA that signs the Fleet Servers' own certificates.
    struct ServerRotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "server-rotate",
            abstract: "Rotate the Fleet Server CA agents check Fleet Servers with, in phases that cut no agent off.",
            discussion: """
                Phases: 1 distribute (agents are sent the new CA beside the old one), 2 present-new (Fleet Servers \
                started with --fleet-server-next-cert present it; allowed once every active agent runs a policy with \
                both CAs), 3 retire-old (agents are sent only the new CA; allowed once every active agent has checked \
                in since). Each can be rolled back.
                """,
            subcommands: [Status.self, Start.self, Next.self, Rollback.self],
            defaultSubcommand: Status.self
        )

        static func describe(_ rotation: ServerCARotation, _ progress: ServerCARotation.Progress) -> String {
            """
            Fleet Server CA rotation: phase \(rotation.phase.number) of 3 (\(rotation.phase.rawValue)): \(rotation.phase.summary).
              active agents:                   \(progress.active)
              running a policy with these CAs: \(progress.trusting)
              checked in since this phase:     \(progress.checkedInSincePhase)
            """
        }

        struct Status: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show the phase and how many agents trust the new CA.")
            @OptionGroup var storeOptions: StoreOptions

            func run() async throws {
                let shown = try await storeOptions.withStore { store -> String in
                    guard let rotation = try await store.serverCARotation() else { return "No Fleet Server CA rotation." }
                    return ServerRotate.describe(rotation, try await store.progress(of: rotation))
                }
                print(shown)
            }
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Send every agent the new Fleet Server CA beside the old one (phase 1).")
            @OptionGroup var storeOptions: StoreOptions

            @Option(name: .customLong("fleet-ca"), help: "The CA agents check Fleet Servers with now.")
            var current: String

            @Option(name: .customLong("next-fleet-ca"), help: "The new CA (made with flotilla certs ca), which signed the Fleet Servers' --fleet-server-next-cert.")
            var next: String

            func run() async throws {
                func pem(_ path: String, flag: String) throws -> String {
                    guard let certificate = try CertificateFiles.loadChain(absolutePath(path), role: "CA (\(flag))").first else {
                        throw FlotillaError("The file \(path) (\(flag)) holds no certificate", hint: "check the path")
                    }
                    return certificate.pemText
                }
                let (previous, nextPEM) = (try pem(current, flag: "--fleet-ca"), try pem(next, flag: "--next-fleet-ca"))
                let shown = try await storeOptions.withStore { store -> String in
                    let rotation = try await store.startServerCARotation(previous: previous, next: nextPEM)
                    return ServerRotate.describe(rotation, try await store.progress(of: rotation))
                }
                print(shown)
                print("Next, once every active agent runs a policy with both CAs: flotilla server ca server-rotate next")
            }
        }

        struct Next: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move to the next phase once no agent would be cut off.")
            @OptionGroup var storeOptions: StoreOptions

            @Flag(help: "Move on even though some active agents are not ready (they lose their connection until they are given the new CA).")
            var force = false

            func run() async throws {
                let shown = try await storeOptions.withStore { store -> String in
                    let rotation = try await store.advanceServerCARotation(force: force)
                    return ServerRotate.describe(rotation, try await store.progress(of: rotation))
                }
                print(shown)
            }
        }

        struct Rollback: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Go back one phase; from phase 1, end the rotation.")
            @OptionGroup var storeOptions: StoreOptions

            func run() async throws {
                let back = try await storeOptions.withStore { store in try await store.rollBackServerCARotation() }
                print(back.map { "Back to phase \($0.phase.number) of 3 (\($0.phase.rawValue)): \($0.phase.summary)." } ?? "The Fleet Server CA rotation was rolled back; agents keep both CAs until a policy says otherwise.")
            }
        }
    }
}
