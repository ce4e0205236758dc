import FleetProtocol
import FleetTLS
import Foundation

/// What an enrolled agent must remember. It lives only inside the encrypted vault: the access API key, the Fleet
/// hosts and their TLS settings, and the policy never touch the disk in plain text.
public struct AgentState: Codable, Equatable, Sendable {
    public var agentId: String
    /// `base64(id:secret)`, sent as `Authorization: ApiKey ...`.
    public var accessAPIKey: String
    /// Fleet Server URLs, the enrollment URL first; policies may replace them.
    public var fleetHosts: [String]
    /// TLS towards Fleet Server: CAs, the agent's certificate and key (paths), pins, verification mode.
    public var fleetTLS: TLSSettings
    /// Headers, proxy, and the loopback port of a Fleet Server in this process.
    public var connection: FleetConnectionOptions
    /// The configuration of a Fleet Server run in this agent's process (install --fleet-server-*), service token
    /// included. Opaque to the agent, which never starts one itself: the program that does keeps it here so it
    /// stays encrypted with the rest.
    public var fleetServer: JSONValue?
    /// How long `run` waits for that Fleet Server to be healthy (`--fleet-server-timeout`).
    public var fleetServerTimeoutSeconds: Double?
    public var policyId: String
    public var policyRevision: Int
    public var policy: JSONValue?
    /// The last ack token Fleet Server gave; check-ins resume after it.
    public var ackToken: String?
    /// Acknowledgements not yet accepted by Fleet Server. They are saved together with the ack token that skips
    /// their actions, so a failed ack request or a kill before it cannot lose them: they go first, next time.
    public var pendingAcks: [AckEvent]?
    public var enrolledAt: String
    public var tags: [String]
    /// Whether the agent was told to unenroll: it stops and its keys are cleared.
    public var unenrolled: Bool
    /// A newer policy revision the agent refused (its new Fleet settings did not work), and why. Reported in
    /// check-ins so Fleet Server does not send the same revision again and again.
    public var rejectedPolicyRevision: Int?
    public var rejectionReason: String?
    /// The client certificate the Fleet Server issued from this agent's own key, when it has an agent CA. While
    /// valid it is what the agent presents to Fleet Server, in place of `fleetTLS`'s certificate.
    public var issuedCredential: IssuedCredential?
    /// The release key (minisign `.pub` text) upgrades are checked against: given at enrollment or with the first
    /// upgrade, and replaced only by a key it signed.
    public var releaseKey: String?
    /// The upgrade under way, across the restart into the new binary.
    public var upgrade: UpgradeProgress?

    public init(agentId: String, accessAPIKey: String, fleetHosts: [String], fleetTLS: TLSSettings, connection: FleetConnectionOptions = FleetConnectionOptions(), policyId: String, enrolledAt: String, tags: [String]) {
        self.agentId = agentId
        self.accessAPIKey = accessAPIKey
        self.fleetHosts = fleetHosts
        self.fleetTLS = fleetTLS
        self.connection = connection
        self.policyId = policyId
        self.policyRevision = 0
        self.policy = nil
        self.ackToken = nil
        self.enrolledAt = enrolledAt
        self.tags = tags
        self.unenrolled = false
    }

    /// The connection to the Fleet Server this state points at.
    /// - Parameter issued: false leaves the issued certificate out (the Fleet Server no longer trusts its CA).
    public func fleetConnection(now: Date = Date(), issued: Bool = true) throws(FlotillaError) -> FleetConnection {
        try FleetConnection(url: fleetHosts[0], tls: issued ? presenting(fleetTLS, now: now) : fleetTLS, options: connection)
    }

    /// `tls` with the issued certificate and key in place of its own while that certificate is valid; once it
    /// expired, `tls` as given (the installed certificate, or none), so the agent can still come back.
    public func presenting(_ tls: TLSSettings, now: Date = Date()) -> TLSSettings {
        guard let credential = issuedCredential, credential.isValid(at: now) else { return tls }
        var settings = tls
        settings.certificate = credential.certificate
        settings.key = credential.key
        settings.keyPassphrasePath = nil
        return settings
    }
}
