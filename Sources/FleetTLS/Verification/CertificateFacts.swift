import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// What a person wants to know about a certificate, derived in one place for `certs inspect`, error messages
/// and the peer identity a server records.
extension Certificate {
    /// The subject as a person reads it: the common name when there is one, else the whole name.
    public var displayName: String {
        subject.commonName ?? subject.description
    }

    public var issuerDisplayName: String {
        issuer.commonName ?? issuer.description
    }

    public var isCertificateAuthority: Bool {
        if case .isCertificateAuthority = (try? extensions.basicConstraints) ?? .notCertificateAuthority {
            return true
        }
        return false
    }

    public var isSelfIssued: Bool { subject == issuer }

    public var dnsNames: [String] {
        ((try? extensions.subjectAlternativeNames) ?? nil)?.compactMap {
            if case .dnsName(let name) = $0 { return name }
            return nil
        } ?? []
    }

    public var ipAddresses: [String] {
        ((try? extensions.subjectAlternativeNames) ?? nil)?.compactMap {
            if case .ipAddress(let bytes) = $0 { return IPAddressText.format(Array(bytes.bytes)) }
            return nil
        } ?? []
    }

    /// The agent a Flotilla-issued client certificate is bound to (its `urn:flotilla:agent:` URI SAN), if any.
    public var flotillaAgentId: String? {
        let prefix = "urn:flotilla:agent:"
        return ((try? extensions.subjectAlternativeNames) ?? nil)?.lazy.compactMap { name -> String? in
            guard case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(prefix) else { return nil }
            return String(uri.dropFirst(prefix.count))
        }.first
    }

    public var extendedKeyUsages: [ExtendedKeyUsage.Usage] {
        ((try? extensions.extendedKeyUsage) ?? nil).map { Array($0) } ?? []
    }

    /// The DER encoding, as a peer sends it.
    public var derBytes: [UInt8] {
        var serializer = DER.Serializer()
        try! serializer.serialize(self)  // a parsed or built certificate always serializes
        return serializer.serializedBytes
    }

    /// Hex SHA-256 of the DER certificate: what `ca_trusted_fingerprint` and `openssl x509 -fingerprint -sha256` show.
    public var sha256Fingerprint: String {
        Hex.string(SHA256.hash(data: derBytes))
    }

    /// Base64 SHA-256 of the SubjectPublicKeyInfo: the `ca_sha256` pin, stable across re-issues with the same key.
    public var spkiPin: String {
        PublicKeyPin.of(publicKey)
    }

    public var pemText: String {
        (try? serializeAsPEM().pemString).map { $0 + "\n" } ?? ""
    }

    public func daysLeft(at now: Date = Date()) -> Int {
        Int((notValidAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// "ECDSA P-256", "RSA 2048".
    public var keyDescription: String {
        publicKey.keyDescription
    }
}

extension Certificate.PublicKey {
    var keyDescription: String {
        if P256.Signing.PublicKey(self) != nil { return "ECDSA P-256" }
        if P384.Signing.PublicKey(self) != nil { return "ECDSA P-384" }
        if P521.Signing.PublicKey(self) != nil { return "ECDSA P-521" }
        if let rsa = _RSA.Signing.PublicKey(self) { return "RSA \(rsa.keySizeInBits)" }
        return "unknown key type"
    }
}

extension DistinguishedName {
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let name = String(attribute.value) { return name }
            }
        }
        return nil
    }
}

/// Text forms of IP addresses as they stand in certificates.
enum IPAddressText {
    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return Hex.string(bytes) }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The 4 or 16 bytes of a literal address, or nil for a host name.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if inet_pton(AF_INET6, bare, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension Date {
    /// "2027-11-30 14:02 UTC": dates in messages are always UTC.
    var utcText: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: self)
    }
}
