import Foundation
import NIOCore

/// A whole HTTP response as the agent's client read it.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header values by lowercased name; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The contract's error message (`{"message": ...}`), or the body as text.
    public var message: String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let message = object["message"] as? String { return message }
            if let error = object["error"] as? [String: Any], let reason = error["reason"] as? String { return reason }
        }
        return String(decoding: body.prefix(300), as: UTF8.self)
    }
}
