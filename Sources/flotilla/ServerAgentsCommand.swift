import ArgumentParser
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation

/// `flotilla server agents`: the enrolled agents, their last check-in and client certificate; revoke and unenroll.
/// It writes to the store; a running Fleet Server on the same store picks the change up within a second.
struct ServerAgents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "List agents, revoke an agent's key, or tell an agent to unenroll.",
        subcommands: [List.self, Revoke.self, Unenroll.self, Upgrade.self, RequestDiagnostics.self, Diagnostics.self]
    )

    struct RequestDiagnostics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-diagnostics",
            abstract: "Ask an agent for a diagnostics bundle; it uploads it to its Fleet Server."
        )

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The agent's id.")
        var id: String

        func run() async throws {
            let action = try await storeOptions.withStore { store in
                guard try await store.agent(id: id) != nil else { throw FlotillaError("There is no agent \(id)", hint: "list agents with flotilla server agents list") }
                return try await store.addAction(ActionRecord(
                    id: "diagnostics-\(Secrets.identifier())", type: ActionType.requestDiagnostics.rawValue, agentIds: [id],
                    expiresAt: Date().addingTimeInterval(86_400)
                ))
            }
            print("Sent action \(action.id) (REQUEST_DIAGNOSTICS) to agent \(id); list the bundle with flotilla server agents diagnostics \(id).")
        }
    }

    struct Diagnostics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an agent's diagnostics bundles, or save one with --download.")

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The agent's id.")
        var id: String

        @Option(help: "The upload id of the bundle to save.")
        var download: String?

        @Option(help: "Where to save it (default: its own name, here).")
        var output: String?

        func run() async throws {
            if let download {
                let (upload, contents) = try await storeOptions.withStore { store in
                    (try await store.upload(id: download), try await store.uploadContents(id: download))
                }
                guard let upload, upload.agentId == id, let contents else {
                    throw FlotillaError("Agent \(id) has no complete diagnostics bundle \(download)", hint: "list them with flotilla server agents diagnostics \(id)")
                }
                let target = output ?? upload.name
                try SecureFileWriter.write(data: contents, to: target)
                print("Saved \(upload.name) (\(contents.count) bytes) to \(target).")
                return
            }
            let uploads = try await storeOptions.withStore { store in try await store.uploads(agentId: id) }
            if uploads.isEmpty { print("Agent \(id) has uploaded no diagnostics; ask with flotilla server agents request-diagnostics \(id).") }
            for upload in uploads {
                print("\(upload.id)  \(upload.name)  \(upload.size) bytes  \(upload.status.rawValue.lowercased())  \(upload.createdAt.formatted(.iso8601))")
            }
        }
    }

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send agents an UPGRADE action to a version added with flotilla server artifacts add."
        )

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "The version to upgrade to.")
        var version: String

        @Argument(help: "The agents' ids.")
        var ids: [String]

        @Option(help: "Download the binary from this https:// URL instead of Fleet Server.")
        var sourceURI: String?

        @Option(help: "With --source-uri: the CA file the agents verify that server with (default: their Fleet Server CAs).")
        var sourceCA: String?

        func run() async throws {
            var sourceSSL: JSONValue?
            if let sourceCA {
                guard sourceURI != nil else { throw FlotillaError("--source-ca goes with --source-uri", hint: "give the URL of the binary too") }
                let authorities = try CertificateFiles.loadAuthorities([sourceCA], role: "download source CA (--source-ca)")
                guard !authorities.isEmpty else { throw FlotillaError("--source-ca \(sourceCA) holds no certificate") }
                // Inline, as agents have no copy of the file.
                let pem = try String(contentsOfFile: sourceCA, encoding: .utf8)
                sourceSSL = ["certificate_authorities": [.string(pem)]]
            }
            if let sourceURI, URL(string: sourceURI)?.scheme != "https" {
                throw FlotillaError("--source-uri \(sourceURI) is not an https:// URL", hint: "agents download binaries over TLS only")
            }
            let action = try await storeOptions.withStore { store in
                for id in ids where try await store.agent(id: id) == nil {
                    throw FlotillaError("There is no agent \(id)", hint: "list agents with flotilla server agents list")
                }
                return try await store.addAction(try await store.upgradeAction(
                    version: version, agentIds: ids, sourceURI: sourceURI, sourceSSL: sourceSSL
                ))
            }
            print("Sent action \(action.id) (UPGRADE to \(version)) to \(ids.count == 1 ? "agent \(ids[0])" : "\(ids.count) agents").")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled agents with their status and client certificate.")

        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let agents = try await storeOptions.withStore { store in try await store.agents() }
            let rows = agents.map(AgentStatusRow.init)
            if output == .json {
                try printJSON(rows)
                return
            }
            for row in rows {
                print("\(row.id)  policy=\(row.policy)  status=\(row.status)  last_checkin=\(row.lastCheckin ?? "never")  client_certificate=\(row.clientCertificate ?? "none")\(row.clientCertificateSHA256.map { " (sha256 \($0))" } ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an agent's API key and the certificates issued to it: Fleet Servers close its connections.")

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The agent's id.")
        var id: String

        func run() async throws {
            try await storeOptions.withStore { store in
                guard try await store.agent(id: id) != nil else { throw FlotillaError("There is no agent \(id)", hint: "list agents with flotilla server agents list") }
                try await store.revokeAgentKey(agentId: id)
            }
            print("Revoked the API key and the issued certificates of agent \(id); Fleet Servers on this store close its connections.")
        }
    }

    struct Unenroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send an agent an UNENROLL action; its key is revoked once it acknowledges.")

        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The agent's id.")
        var id: String

        func run() async throws {
            let action = try await storeOptions.withStore { store in
                guard try await store.agent(id: id) != nil else { throw FlotillaError("There is no agent \(id)", hint: "list agents with flotilla server agents list") }
                return try await store.addAction(ActionRecord(id: "unenroll-\(Secrets.identifier())", type: ActionType.unenroll.rawValue, agentIds: [id]))
            }
            print("Sent action \(action.id) (UNENROLL) to agent \(id).")
        }
    }
}

/// One agent as `agents list` shows it.
struct AgentStatusRow: Encodable {
    var id: String
    var policy: String
    var status: String
    var message: String?
    var lastCheckin: String?
    var policyRevision: Int?
    var tags: [String]
    var clientCertificate: String?
    var clientCertificateSHA256: String?

    init(_ agent: AgentRecord) {
        id = agent.id
        policy = agent.policyId
        status = agent.apiKeyRevoked && agent.unenrolledAt == nil ? "revoked" : (agent.lastStatus ?? "enrolled")
        message = agent.lastMessage
        lastCheckin = agent.lastCheckinAt.map { RFC3339.string(from: $0) }
        policyRevision = agent.policyRevision
        tags = agent.tags
        clientCertificate = agent.certificateSubject
        clientCertificateSHA256 = agent.certificateFingerprint
    }

    enum CodingKeys: String, CodingKey {
        case id, policy, status, message, tags
        case lastCheckin = "last_checkin", policyRevision = "policy_revision"
        case clientCertificate = "client_certificate", clientCertificateSHA256 = "client_certificate_sha256"
    }
}
