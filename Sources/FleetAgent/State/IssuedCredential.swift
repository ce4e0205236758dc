import FleetProtocol
import FleetTLS
import Foundation
import X509

/// The client certificate a Fleet Server issued this agent, with the key the agent made for it. Kept only inside the
/// encrypted state: the key never leaves the host and never touches the disk in plain text.
public struct IssuedCredential: Codable, Equatable, Sendable {
    /// The certificate, then its CA chain, in PEM.
    public var certificate: String
    /// The agent's own key, PKCS#8 PEM.
    public var key: String
    public var notBefore: Date
    public var notAfter: Date
    /// When the agent asks for the next one, as its Fleet Server said.
    public var renewAfter: Date
    public var subject: String
    public var issuer: String
    public var fingerprint: String

    /// Reads the server's answer and checks it is a certificate over `keyPair`'s key, bound to `agentId`.
    public init(_ issued: IssuedCertificate, keyPair: AgentKeyPair, agentId: String) throws(FlotillaError) {
        let leaf: Certificate
        do { leaf = try Certificate(pemEncoded: Self.firstBlock(issued.certificate)) } catch {
            throw FlotillaError("The Fleet Server sent a client certificate this agent cannot read", hint: "look at the Fleet Server's log")
        }
        guard leaf.publicKey == keyPair.publicKey else {
            throw FlotillaError("The Fleet Server sent a client certificate for another key than this agent's", hint: "look at the Fleet Server's log")
        }
        if let bound = leaf.flotillaAgentId, bound != agentId {
            throw FlotillaError("The Fleet Server sent a client certificate for agent \(bound), not for this agent (\(agentId))", hint: "look at the Fleet Server's log")
        }
        certificate = issued.certificate
        key = keyPair.privateKeyPEM
        notBefore = leaf.notValidBefore
        notAfter = leaf.notValidAfter
        renewAfter = RFC3339.date(from: issued.renewAfter) ?? leaf.notValidBefore.addingTimeInterval(
            leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) * 2 / 3
        )
        subject = leaf.displayName
        issuer = leaf.issuerDisplayName
        fingerprint = leaf.sha256Fingerprint
    }

    static func firstBlock(_ pem: String) -> String {
        guard let end = pem.range(of: "-----END CERTIFICATE-----") else { return pem }
        return String(pem[..<end.upperBound])
    }

    /// Whether it can still be presented at `now`.
    public func isValid(at now: Date = Date()) -> Bool {
        now >= notBefore && now < notAfter
    }

    /// Whole days left at `now` (negative once expired).
    public func daysLeft(at now: Date = Date()) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}
