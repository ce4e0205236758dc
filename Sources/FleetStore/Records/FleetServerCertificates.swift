import Foundation

/// The certificates one Fleet Server uses, as it published them in the store at start and after each reload of its
/// listener: the console lists them with every other certificate and warns before they end, though the files live
/// on the Fleet Server's host.
public struct FleetServerCertificates: Codable, Sendable, Equatable {
    /// One certificate and what it is for.
    public struct Entry: Codable, Sendable, Equatable {
        /// "server certificate", "store client certificate", "next server certificate".
        public var use: String
        public var subject: String
        public var issuer: String
        public var fingerprint: String
        public var notAfter: Date

        public init(use: String, subject: String, issuer: String, fingerprint: String, notAfter: Date) {
            self.use = use
            self.subject = subject
            self.issuer = issuer
            self.fingerprint = fingerprint
            self.notAfter = notAfter
        }

        enum CodingKeys: String, CodingKey {
            case use, subject, issuer, fingerprint, notAfter = "not_after"
        }
    }

    /// The Fleet Server, as host:port.
    public var server: String
    public var certificates: [Entry]
    public var publishedAt: Date

    public init(server: String, certificates: [Entry], publishedAt: Date = Date()) {
        self.server = server
        self.certificates = certificates
        self.publishedAt = publishedAt
    }

    enum CodingKeys: String, CodingKey {
        case server, certificates, publishedAt = "published_at"
    }

    static let kind = "fleet-server-certificates"
}

extension Store {
    /// Keeps what one Fleet Server uses, replacing what it published before.
    public func publishFleetServerCertificates(_ published: FleetServerCertificates) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let body = String(decoding: try encoder.encode(published), as: UTF8.self)
        try await saveConsoleObject(ConsoleObjectRecord(kind: FleetServerCertificates.kind, id: published.server, body: body))
    }

    /// What every Fleet Server on this store published.
    public func fleetServerCertificates() async throws -> [FleetServerCertificates] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try await consoleObjects(kind: FleetServerCertificates.kind).compactMap {
            try? decoder.decode(FleetServerCertificates.self, from: Data($0.body.utf8))
        }
    }
}
