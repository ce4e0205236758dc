import Foundation
import Hummingbird

extension Request {
    /// Reads and decodes a JSON body, turning decoding failures into a 400 that names the field.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: FleetRequestContext) async throws -> T {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        return try Self.decodeJSON(T.self, from: Data(buffer: body))
    }

    /// Decodes a request body; every failure is a 400 whose sentence names the field (the fuzz target's entry).
    static func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, path) {
            throw APIError.badRequest("The request body is missing the field \(fieldPath(path.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, detail) {
            throw APIError.badRequest("The field \(fieldPath(detail.codingPath)) has the wrong type")
        } catch let DecodingError.valueNotFound(_, detail) {
            throw APIError.badRequest("The field \(fieldPath(detail.codingPath)) must not be null")
        } catch {
            throw APIError.badRequest("The request body is not valid JSON")
        }
    }

    static func fieldPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}

extension Response {
    /// A 200 with a JSON body.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        json(encoded: ByteBuffer(data: try jsonEncoder().encode(value)), status: status)
    }

    /// A response whose JSON body is already encoded (a cached check-in response).
    static func json(encoded body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// The agent API's JSON: keys sorted, slashes as they are.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
