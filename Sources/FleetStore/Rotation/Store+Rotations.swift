import Foundation

extension Store {
    /// A rotation's record, kept as one console object of `kind` so every Fleet Server and console reads the same.
    func rotationRecord<Record: Decodable>(_ type: Record.Type, kind: String) async throws -> Record? {
        guard let record = try await consoleObject(kind: kind, id: "current") else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Record.self, from: Data(record.body.utf8))
    }

    func saveRotationRecord(_ rotation: some Encodable, kind: String) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let body = String(decoding: try encoder.encode(rotation), as: UTF8.self)
        try await saveConsoleObject(ConsoleObjectRecord(kind: kind, id: "current", body: body))
    }

    func deleteRotationRecord(kind: String) async throws -> Bool {
        try await deleteConsoleObject(kind: kind, id: "current")
    }
}
