import Foundation

/// A list of IP addresses and CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`), as `trusted_proxies` gives them.
public struct AddressRanges: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        let network: [UInt8]
        let prefix: Int
    }

    let ranges: [Range]

    /// Reads each entry; the first that is neither an address nor a range is named in the error.
    /// - Parameter field: where the list came from (`--trusted-proxy`, `trusted_proxies`), for the sentence.
    public init(_ entries: [String], field: String) throws(FlotillaError) {
        var ranges: [Range] = []
        for entry in entries.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = IPAddressText.parse(parts[0]) else {
                throw FlotillaError("\(entry) in \(field) is not an IP address or a CIDR range", hint: "write addresses like 10.0.0.5 or ranges like 10.0.0.0/8")
            }
            let prefix = parts.count == 2 ? Int(parts[1]) ?? -1 : bytes.count * 8
            guard (0...(bytes.count * 8)).contains(prefix) else {
                throw FlotillaError("\(entry) in \(field) has a prefix length outside 0 to \(bytes.count * 8)", hint: "write a range like 10.0.0.0/8")
            }
            ranges.append(Range(network: bytes, prefix: prefix))
        }
        self.ranges = ranges
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `address` (an IP address as text) is in one of the ranges. An IPv4 address seen as IPv4-mapped
    /// IPv6 (`::ffff:10.0.0.5`, as a dual-stack listener reports it) counts as the IPv4 address.
    public func contains(_ address: String) -> Bool {
        guard var bytes = IPAddressText.parse(address) else { return false }
        if bytes.count == 16, bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] { bytes = Array(bytes.suffix(4)) }
        return ranges.contains { $0.network.count == bytes.count && NoProxyRules.matches(bytes, $0.network, prefix: $0.prefix) }
    }
}
