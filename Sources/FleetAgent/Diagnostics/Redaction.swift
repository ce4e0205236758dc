import FleetProtocol
import Foundation

/// Takes secrets out of what a diagnostics bundle shows: values under names that hold secrets, and private keys
/// and API keys written inline anywhere.
public enum Redaction {
    public static let marker = "<redacted>"

    /// Whether a field of this name holds a secret (a password, a passphrase, a token, an API key, a private key).
    static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        let fragments = ["password", "passphrase", "secret", "token", "api_key", "apikey", "authorization", "private"]
        return fragments.contains(where: lowered.contains) || lowered == "key" || lowered.hasSuffix("_key") && !lowered.hasSuffix("public_key")
    }

    /// `value` with every secret field replaced by the marker; a header map's values are kept only for names that
    /// are not secrets.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var redacted: [String: JSONValue] = [:]
            for (name, field) in fields {
                redacted[name] = isSecret(name) && !field.isNull ? .string(marker) : redact(field)
            }
            return .object(redacted)
        case .array(let items):
            return .array(items.map(redact))
        case .string(let text):
            return .string(redactText(text))
        default:
            return value
        }
    }

    /// `text` with inline private keys and `ApiKey ...` credentials replaced by the marker.
    public static func redactText(_ text: String) -> String {
        var result = text
        if let begin = result.range(of: "-----BEGIN"), result.range(of: "PRIVATE KEY-----") != nil {
            result = String(result[..<begin.lowerBound]) + marker
        }
        if let range = result.range(of: #"ApiKey\s+[A-Za-z0-9+/=_-]+"#, options: .regularExpression) {
            result.replaceSubrange(range, with: "ApiKey \(marker)")
        }
        return result
    }
}
