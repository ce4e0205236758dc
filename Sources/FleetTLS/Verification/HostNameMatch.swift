import X509

/// Whether a certificate covers a host name or IP address, as RFC 6125 says: exact DNS names compared without case,
/// a wildcard standing for exactly one leftmost label, IP addresses only against IP entries.
enum HostNameMatch {
    static func covers(_ certificate: Certificate, host: String) -> Bool {
        if let address = IPAddressText.parse(host) {
            return certificate.ipAddresses.contains(IPAddressText.format(address))
        }
        let wanted = host.lowercased().trimmingSuffix(".")
        return certificate.dnsNames.contains { pattern in
            let pattern = pattern.lowercased().trimmingSuffix(".")
            if pattern == wanted { return true }
            guard pattern.hasPrefix("*."), let dot = wanted.firstIndex(of: ".") else { return false }
            return wanted[dot...] == pattern.dropFirst() && !wanted[..<dot].isEmpty
        }
    }

    /// "fleet.example.com, 127.0.0.1", or "no names" — what a certificate is for, for messages.
    static func describeNames(_ certificate: Certificate) -> String {
        let names = certificate.dnsNames + certificate.ipAddresses
        return names.isEmpty ? "no host names at all" : names.joined(separator: ", ")
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
