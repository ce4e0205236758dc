import ArgumentParser
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import X509

/// `flotilla server certs`: every certificate a Fleet Server's setup uses, with the days each has left.
struct ServerCerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "List the certificates the Fleet Server uses and those it issued to agents.",
        subcommands: [List.self],
        defaultSubcommand: List.self
    )

    /// One certificate in the inventory.
    struct Entry: Encodable {
        var use: String
        var subject: String
        var issuer: String
        var fingerprint: String
        var notAfter: String
        var daysLeft: Int
        /// "29 days left", "40 seconds left", "expired".
        var left: String
        /// The file it was read from, or the agent it was issued to.
        var source: String
        var revoked: Bool

        enum CodingKeys: String, CodingKey {
            case use, subject, issuer, fingerprint, notAfter = "not_after", daysLeft = "days_left", left, source, revoked
        }

        init(use: String, certificate: Certificate, source: String) {
            self.use = use
            subject = certificate.displayName
            issuer = certificate.issuerDisplayName
            fingerprint = certificate.sha256Fingerprint
            notAfter = ISO8601DateFormatter().string(from: certificate.notValidAfter)
            daysLeft = certificate.daysLeft()
            left = TimeLeft.phrase(until: certificate.notValidAfter)
            self.source = source
            revoked = false
        }

        init(_ record: IssuedCertificateRecord) {
            use = "agent client certificate (issued)"
            subject = record.subject
            issuer = record.issuer
            fingerprint = record.fingerprint
            notAfter = ISO8601DateFormatter().string(from: record.notAfter)
            daysLeft = Int((record.notAfter.timeIntervalSinceNow / 86_400).rounded(.down))
            left = TimeLeft.phrase(until: record.notAfter)
            source = "agent \(record.agentId)"
            revoked = record.revokedAt != nil
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the server, store and CA certificates of this configuration, and each agent's newest issued certificate."
        )

        @OptionGroup var server: ServerRun

        @Flag(help: "Every issued certificate, not only each agent's newest one.")
        var all = false

        @Option(help: "text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let configuration = try server.resolvedConfiguration()
            var entries: [Entry] = []
            func add(_ use: String, _ sources: [String]) throws {
                for source in sources {
                    for certificate in try CertificateFiles.loadChain(source, role: use) {
                        entries.append(Entry(use: use, certificate: certificate, source: source.contains("-----BEGIN") ? "inline PEM" : source))
                    }
                }
            }
            if let certificate = configuration.tls.certificate { try add("Fleet Server certificate", [certificate]) }
            try add("agents' CA (client certificates)", configuration.tls.certificateAuthorities)
            if let agentCA = configuration.agentCertificates { try add("agent CA (issues agents' certificates)", [agentCA.certificate]) }
            if let storeTLS = configuration.storeTLS {
                if let certificate = storeTLS.certificate { try add("Fleet Server's store client certificate", [certificate]) }
                try add("store CA", storeTLS.certificateAuthorities)
            }
            let issued = try await server.storeOptions.withStore { store in try await store.issuedCertificates(agentId: nil) }
            var seen = Set<String>()
            for record in issued where all || seen.insert(record.agentId).inserted {
                entries.append(Entry(record))
            }
            if output == .json {
                try printJSON(entries)
                return
            }
            for entry in entries {
                let state = entry.revoked ? "revoked" : entry.left == "expired" ? "EXPIRED" : entry.left
                print("\(entry.use): \(entry.subject), issued by \(entry.issuer), \(state) (until \(entry.notAfter))")
                print("    sha256 \(entry.fingerprint)  \(entry.source)")
            }
            let soon = entries.filter { !$0.revoked && $0.daysLeft >= 0 && $0.daysLeft < 30 && !$0.use.contains("issued") }
            for entry in soon {
                print("Warning: the \(entry.use) \(entry.subject) expires in \(entry.daysLeft) days; replace \(entry.source) before then.")
            }
        }
    }
}
