import FleetProtocol
import FleetTLS
import Foundation

/// How a Fleet Server issues agents' client certificates (`agent_certificates` in the YAML, `--agent-ca*` flags).
public struct AgentCertificateSettings: Sendable, Codable, Equatable {
    /// The agent CA's certificate: a path or inline PEM. An intermediate's file may carry the chain above it.
    public var certificate: String
    /// Its key, a path or inline PEM, best encrypted (then `keyPassphrasePath` is needed).
    public var key: String
    public var keyPassphrasePath: String?
    /// The lifetime of each certificate, as a Go duration; 30 days by default.
    public var validity: String = "720h"
    /// The share of a certificate's lifetime after which its agent renews it.
    public var renewAfter: Double = 2.0 / 3.0
    /// How long after its certificate expired an agent may still renew with its API key alone, over one-way TLS
    /// (an agent that was switched off); `0s` refuses it, and such an agent must be enrolled again.
    public var expiredRenewalGrace: String = "720h"
    /// Every request but enrollment, `/api/status` and renewal must carry a client certificate, even though the
    /// listener accepts connections without one so that agents can enroll.
    public var requireAfterEnrollment: Bool = true

    public init(certificate: String, key: String, keyPassphrasePath: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.keyPassphrasePath = keyPassphrasePath
    }

    enum CodingKeys: String, CodingKey {
        case certificate = "ca_certificate", key = "ca_key", keyPassphrasePath = "ca_key_passphrase_path"
        case validity, renewAfter = "renew_after", expiredRenewalGrace = "expired_renewal_grace"
        case requireAfterEnrollment = "require_after_enrollment"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try c.decode(String.self, forKey: .certificate)
        key = try c.decode(String.self, forKey: .key)
        keyPassphrasePath = try c.decodeIfPresent(String.self, forKey: .keyPassphrasePath)
        validity = try c.decodeIfPresent(String.self, forKey: .validity) ?? validity
        renewAfter = try c.decodeIfPresent(Double.self, forKey: .renewAfter) ?? renewAfter
        expiredRenewalGrace = try c.decodeIfPresent(String.self, forKey: .expiredRenewalGrace) ?? expiredRenewalGrace
        requireAfterEnrollment = try c.decodeIfPresent(Bool.self, forKey: .requireAfterEnrollment) ?? requireAfterEnrollment
    }

    /// `expiredRenewalGrace` in seconds, or a sentence naming the field.
    public func graceSeconds() throws(FlotillaError) -> TimeInterval {
        guard let seconds = parseGoDuration(expiredRenewalGrace), seconds >= 0 else {
            throw FlotillaError("agent_certificates.expired_renewal_grace \(expiredRenewalGrace) is not a duration", hint: "write it like 720h, or 0s to refuse")
        }
        return seconds
    }

    /// Loads the CA and its key (checking they match and the key opens), ready to sign.
    public func issuer() throws(FlotillaError) -> AgentCertificateIssuer {
        guard let seconds = parseGoDuration(validity), seconds > 0 else {
            throw FlotillaError("agent_certificates.validity (--agent-certificate-validity) \(validity) is not a duration", hint: "write it like 720h or 90m")
        }
        _ = try graceSeconds()
        let identity = try TLSIdentity.load(
            certificate: certificate, key: key, passphrasePath: keyPassphrasePath, role: "agent CA (--agent-ca, --agent-ca-key)",
            passphraseOption: "--agent-ca-key-passphrase-path"
        )
        return try AgentCertificateIssuer(identity: identity, validity: seconds, renewFraction: renewAfter)
    }
}
