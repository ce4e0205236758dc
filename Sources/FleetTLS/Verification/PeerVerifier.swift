import Foundation
@_spi(FixedExpiryValidationTime) import X509

/// The one place that decides whether a peer's certificate chain is trusted, and says exactly why when it is not.
///
/// It is used by TLS clients during the handshake (in place of BoringSSL's check, so pins and reasons come from one
/// place), by `flotilla certs verify`, and to explain failed handshakes. swift-certificates builds and checks the
/// chain (RFC 5280); the explanation walks the chain the way a person would.
public struct PeerVerifier: Sendable {
    /// Which side's certificate is checked, for the purpose (extended key usage) and the sentences.
    public enum Peer: Sendable, Equatable {
        /// A server; its certificate must name `host` when one is given.
        case server(host: String?)
        case client
    }

    public var peer: Peer
    /// Trusted CAs. Empty (and no fingerprint match) means the system's trust store.
    public var authorities: [Certificate]
    /// Base64 SPKI SHA-256 pins; when not empty, one certificate of the verified chain must match one.
    public var spkiPins: [String]
    /// Hex SHA-256 of a CA certificate that is trusted when the peer sends it in its chain.
    public var trustedFingerprint: String?
    /// Fixed time for tests; `nil` means now.
    public var now: Date?

    public init(peer: Peer, authorities: [Certificate], spkiPins: [String] = [], trustedFingerprint: String? = nil, now: Date? = nil) {
        self.peer = peer
        self.authorities = authorities
        self.spkiPins = spkiPins
        self.trustedFingerprint = trustedFingerprint.map(Self.normalizedFingerprint)
        self.now = now
    }

    public enum Verdict: Sendable, Equatable {
        /// Leaf first, trusted root last.
        case trusted([Certificate])
        /// One sentence: what is wrong with the peer's certificate.
        case rejected(String)
    }

    /// Verifies `presented` (leaf first, as the peer sent it).
    public func verify(_ presented: [Certificate]) async -> Verdict {
        guard let leaf = presented.first else {
            return .rejected("The \(peerName) presented no certificate")
        }
        let time = now ?? Date()
        var roots = authorities
        if let trustedFingerprint, let pinnedCA = presented.first(where: { $0.sha256Fingerprint == trustedFingerprint }) {
            roots.append(pinnedCA)
        }
        let store = roots.isEmpty ? CertificateStore.systemTrustRoots : CertificateStore(roots)
        var verifier = Verifier(rootCertificates: store) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            if case .server(let host?) = peer {
                ServerIdentityPolicy(
                    serverHostname: IPAddressText.parse(host) == nil ? host : nil,
                    serverIP: IPAddressText.parse(host) == nil ? nil : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                )
            }
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(presented.dropFirst()))
        guard case .validCertificate(let validated) = result else {
            return .rejected(explainFailure(presented, roots: roots, time: time))
        }
        let chain = Array(validated)
        if let purposeProblem = purposeProblem(leaf) {
            return .rejected(purposeProblem)
        }
        if !spkiPins.isEmpty, !chain.contains(where: { spkiPins.contains($0.spkiPin) }) {
            return .rejected(
                "No certificate in the \(peerName) chain (\(chain.map(\.displayName).joined(separator: " → "))) matches the ca_sha256 pin"
            )
        }
        return .trusted(chain)
    }

    var peerName: String {
        peer == .client ? "client's certificate" : "server's certificate"
    }

    /// The leaf must be allowed for this side: a client certificate used as a server one is a common slip.
    func purposeProblem(_ leaf: Certificate) -> String? {
        let usages = leaf.extendedKeyUsages
        let needed: ExtendedKeyUsage.Usage = peer == .client ? .clientAuth : .serverAuth
        guard !usages.isEmpty, !usages.contains(needed), !usages.contains(.any) else { return nil }
        let purpose = peer == .client ? "client" : "server"
        let actual = usages.contains(.serverAuth) ? "server" : usages.contains(.clientAuth) ? "client" : "other"
        return "The \(peerName) \(leaf.displayName) is a \(actual) certificate, not a \(purpose) certificate (extended key usage)"
    }

    /// One sentence for a chain that swift-certificates refused, naming the first thing a person would fix.
    func explainFailure(_ presented: [Certificate], roots: [Certificate], time: Date) -> String {
        let leaf = presented[0]
        if let problem = CertificateFiles.validityProblem(leaf, now: time) {
            return "The \(peerName) \(leaf.displayName) \(problem)"
        }
        if case .server(let host?) = peer, !HostNameMatch.covers(leaf, host: host) {
            return "The \(peerName) \(leaf.displayName) is for \(HostNameMatch.describeNames(leaf)), not for \(host)"
        }
        if let purposeProblem = purposeProblem(leaf) {
            return purposeProblem
        }
        let trusted = roots.isEmpty ? "the system's trusted CAs" : "the trusted CAs (\(roots.map(\.displayName).joined(separator: ", ")))"
        var current = leaf
        var intermediates = Array(presented.dropFirst())
        for _ in 0..<8 {
            if let root = roots.first(where: { $0.subject == current.issuer }) {
                guard root.publicKey.isValidSignature(current.signature, for: current) else {
                    return "The \(peerName) \(current.displayName) names \(root.displayName) as its issuer but was signed by another key: the CA was made again since; trust the new CA or re-issue the certificate"
                }
                if let problem = CertificateFiles.validityProblem(root, now: time) {
                    return "The CA \(root.displayName) that signs the \(peerName) \(problem)"
                }
                break
            }
            if let index = intermediates.firstIndex(where: {
                $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current)
            }) {
                let intermediate = intermediates.remove(at: index)
                if let problem = CertificateFiles.validityProblem(intermediate, now: time) {
                    return "The intermediate CA \(intermediate.displayName) in the \(peerName) chain \(problem)"
                }
                current = intermediate
                continue
            }
            if current.isSelfIssued {
                return "The \(peerName) chain ends at \(current.displayName), which is not among \(trusted)"
            }
            if current == leaf && presented.count == 1 {
                return "The \(peerName) \(leaf.displayName) is issued by \(current.issuerDisplayName), which is not among \(trusted); either the wrong CA is trusted, or \(current.issuerDisplayName) is an intermediate CA that must be sent after the certificate (missing intermediate)"
            }
            return "The \(peerName) \(current.displayName) is issued by \(current.issuerDisplayName), which is not among \(trusted) (wrong issuer)"
        }
        return "The \(peerName) \(leaf.displayName) does not chain to \(trusted) under RFC 5280 (check its CA flags and key usage)"
    }

    static func normalizedFingerprint(_ text: String) -> String {
        text.lowercased().filter { $0.isHexDigit }
    }
}
