/// `NO_PROXY` as curl and Go programs read it: a comma-separated list of host names (matching the host and its
/// subdomains, a leading dot optional), IP addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`), any of them with a
/// port (`host:8220`, `[::1]:8220`) to exclude that port only, and `*` for every host.
public struct NoProxyRules: Sendable, Equatable {
    enum Rule: Sendable, Equatable {
        case everything
        case domain(String, port: Int?)
        case network([UInt8], prefix: Int, port: Int?)
    }

    let rules: [Rule]

    public init(_ text: String) {
        rules = text.split(separator: ",").compactMap { Self.rule(String($0).trimmingCharacters(in: .whitespaces).lowercased()) }
    }

    /// Whether a connection to `host:port` goes direct.
    public func excludes(host: String, port: Int) -> Bool {
        let wanted = host.lowercased().trimmingSuffix(".")
        let address = IPAddressText.parse(wanted)
        for rule in rules {
            switch rule {
            case .everything:
                return true
            case .domain(let name, let rulePort):
                guard rulePort == nil || rulePort == port, address == nil else { continue }
                if wanted == name || wanted.hasSuffix("." + name) { return true }
            case .network(let bytes, let prefix, let rulePort):
                guard rulePort == nil || rulePort == port, let address, address.count == bytes.count else { continue }
                if Self.matches(address, bytes, prefix: prefix) { return true }
            }
        }
        return false
    }

    static func rule(_ entry: String) -> Rule? {
        guard !entry.isEmpty else { return nil }
        if entry == "*" { return .everything }
        var text = entry
        var port: Int?
        // A port follows the last colon of "host:port" or "[v6]:port"; a bare IPv6 address has several colons.
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            port = Int(text[text.index(after: colon)...])
            text = String(text[..<colon])
        }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        if let bytes = IPAddressText.parse(parts[0]) {
            let prefix = parts.count == 2 ? Int(parts[1]) ?? -1 : bytes.count * 8
            guard (0...(bytes.count * 8)).contains(prefix) else { return nil }
            return .network(bytes, prefix: prefix, port: port)
        }
        let name = text.trimmingPrefix(".").trimmingSuffix(".")
        return name.isEmpty ? nil : .domain(name, port: port)
    }

    static func matches(_ address: [UInt8], _ network: [UInt8], prefix: Int) -> Bool {
        var bits = prefix
        for (a, n) in zip(address, network) {
            guard bits > 0 else { return true }
            let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
            if a & mask != n & mask { return false }
            bits -= 8
        }
        return true
    }
}
