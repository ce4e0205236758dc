import Foundation

/// Everything one enrollment writes, handed to `Store.enroll(_:)` so that it is written in one transaction: two
/// enrollments racing on a one-use token, or a failure between the steps, can then neither let two agents in nor
/// spend a use for nothing.
public struct EnrollmentRecord: Sendable {
    /// The enrollment token whose use this enrollment spends.
    public var tokenId: String
    /// The agent record to write: a new agent, or the replacement of one enrolled with the same id.
    public var agent: AgentRecord
    /// The hash of the replace token the request carried. An agent already enrolled with this id is replaced only
    /// when it matches the hash stored with that agent.
    public var presentedReplaceTokenHash: String?
    /// The client certificate signed from the enrollment's CSR, if any.
    public var certificate: IssuedCertificateRecord?
    /// When the enrollment happens: a token that expired before it is refused.
    public var at: Date

    /// - Parameters: the fields above; `at` defaults to now.
    public init(
        tokenId: String, agent: AgentRecord, presentedReplaceTokenHash: String? = nil,
        certificate: IssuedCertificateRecord? = nil, at: Date = Date()
    ) {
        self.tokenId = tokenId
        self.agent = agent
        self.presentedReplaceTokenHash = presentedReplaceTokenHash
        self.certificate = certificate
        self.at = at
    }

    /// Whether an enrollment that presented `presented` may replace an agent enrolled with `stored`: only when
    /// that agent was enrolled with a replace token and this is it.
    public static func replaceTokenMatches(stored: String?, presented: String?) -> Bool {
        guard let stored, let presented else { return false }
        return Secrets.hashesMatch(stored, presented)
    }

    /// Whether an enrolled agent with the same id may be replaced by this enrollment.
    func mayReplace(replaceTokenHash stored: String?) -> Bool {
        Self.replaceTokenMatches(stored: stored, presented: presentedReplaceTokenHash)
    }
}
