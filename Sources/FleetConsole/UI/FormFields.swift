import Foundation

/// The fields of an `application/x-www-form-urlencoded` body. Repeated names keep every value, in order.
struct FormFields {
    var pairs: [(String, String)] = []

    init(body: String) {
        for part in body.split(separator: "&") {
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let decode = { (text: String) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text }
            pairs.append((decode(halves[0]), halves.count > 1 ? decode(halves[1]) : ""))
        }
    }

    /// The first value of `name`, nil when absent.
    subscript(name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    /// The trimmed value of `name`, nil when absent or empty.
    func text(_ name: String) -> String? {
        let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == false ? value : nil
    }

    /// Lines (or commas) of `name` as a list, blank ones dropped; inline PEM stays whole.
    func list(_ name: String) -> [String]? {
        guard let value = text(name) else { return nil }
        if value.contains("-----BEGIN ") { return [value] }
        let items = value.split(whereSeparator: { $0 == "\n" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }
}
