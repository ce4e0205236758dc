import FleetProtocol

/// Moves secrets between a setting's fields and its `secrets` section. Stored, a secret sits sealed at the same
/// path under `secrets` (`secrets.ssl.key.sealed`); shown, only that it is stored (`secrets.ssl.key.id`), as
/// Kibana shows its secret references. A path to a key file is not a secret and stays where it is.
enum SecretFields {
    /// Seals every inline value at `paths` of a whole, revealed item into `secrets`; an empty value is dropped.
    static func seal(_ item: inout JSONValue, paths: [[String]], box: SecretBox) throws {
        item["secrets"] = nil
        for path in paths {
            guard let value = item[path]?.stringValue else { continue }
            if value.isEmpty {
                item[path] = nil
            } else if isSecret(value, path: path) {
                item[path] = nil
                item[["secrets"] + path] = .object(["sealed": .string(try box.seal(value))])
            }
        }
    }

    /// The setting with its secrets opened into their fields, for composing what agents and servers receive.
    static func reveal(_ item: JSONValue, paths: [[String]], box: SecretBox) throws -> JSONValue {
        var revealed = item
        for path in paths {
            if let sealed = item[["secrets"] + path + ["sealed"]]?.stringValue {
                revealed[path] = .string(try box.open(sealed))
            }
        }
        revealed["secrets"] = nil
        return revealed
    }

    /// The setting as the API and the UI show it: each stored secret only as a reference.
    static func redact(_ item: JSONValue, paths: [[String]]) -> JSONValue {
        var shown = item
        shown["secrets"] = nil
        for path in paths where item[["secrets"] + path] != nil {
            shown[["secrets"] + path] = .object(["id": .string(path.joined(separator: "."))])
        }
        return shown
    }

    /// Inline PEM keys are secrets, and so are API keys and service tokens; a key given as a path is not.
    static func isSecret(_ value: String, path: [String]) -> Bool {
        path.last == "api_key" || path.last == "service_token" || value.contains("-----BEGIN ")
    }
}
