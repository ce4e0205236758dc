import FleetStore
import FleetTLS
import Logging

extension FleetServerConfiguration {
    /// Whether `store` names a PostgreSQL database rather than an SQLite file.
    public var usesPostgres: Bool {
        guard let store else { return false }
        let lowered = store.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Opens the store this configuration names, failing with one sentence.
    public func openStore(logger: Logger) async throws(FlotillaError) -> any Store {
        if usesPostgres, let store {
            let link = try PostgresLink(url: store, tls: storeTLS, passwordFile: storePasswordFile)
            return try await PostgresStore(link: link, logger: logger)
        }
        do {
            return try SQLiteStore(path: storePath)
        } catch {
            throw FlotillaError("Cannot open the store \(storePath) (\(error))", hint: "check the path and its permissions")
        }
    }
}
