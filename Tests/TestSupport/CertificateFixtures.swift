import FleetTLS
import Foundation
import X509

/// The seed's certificate set made by `CertificateSet` (what `flotilla certs init` writes), plus the broken
/// certificates the failure tests need: expired, not yet valid, from another CA, behind an intermediate.
public final class CertificateFixtures: Sendable {
    public static let shared = CertificateFixtures()

    public let directory: TemporaryDirectory

    public init() {
        directory = TemporaryDirectory("flotilla-certs")
        _ = try! CertificateSet.make(in: directory.path, dnsNames: ["localhost", "fleet.flotilla.test"], ipAddresses: ["127.0.0.1"])
        makeExtras()
    }

    public func path(_ name: String) -> String { directory.file(name) }

    public var fleetCA: String { path("fleet-ca.crt") }
    public var agentCA: String { path("agent-ca.crt") }
    public var fleetCert: String { path("fleet-cert.crt") }
    public var fleetKey: String { path("fleet-cert.key") }
    public var agentCert: String { path("agent-cert.crt") }
    public var agentKey: String { path("agent-cert.key") }
    public var agentPassphrase: String { path("agent-cert.passphrase") }

    /// One-way TLS server settings with the seed's fleet-cert.
    public var serverSettings: TLSSettings {
        TLSSettings(certificate: fleetCert, key: fleetKey)
    }

    /// Server settings that check client certificates against agent-ca.
    public func serverSettings(clientAuth: TLSSettings.ClientAuth) -> TLSSettings {
        TLSSettings(certificateAuthorities: [agentCA], certificate: fleetCert, key: fleetKey, clientAuth: clientAuth)
    }

    /// Client settings trusting fleet-ca, presenting agent-cert with its encrypted key when `mutual`.
    public func clientSettings(mutual: Bool = false) -> TLSSettings {
        TLSSettings(
            certificateAuthorities: [fleetCA],
            certificate: mutual ? agentCert : nil,
            key: mutual ? agentKey : nil,
            keyPassphrasePath: mutual ? agentPassphrase : nil
        )
    }

    func authority(_ name: String) -> SigningAuthority {
        try! TLSIdentity.load(certificate: path("\(name).crt"), key: path("\(name).key"), passphrasePath: nil, role: "CA").signingAuthority
    }

    func write(_ name: String, _ made: (certificate: Certificate, key: GeneratedKey), chain: [Certificate] = []) {
        _ = directory.write("\(name).crt", ([made.certificate] + chain).map(\.pemText).joined())
        _ = directory.write("\(name).key", try! made.key.pem())
    }

    func makeExtras() {
        let fleetCA = authority("fleet-ca")
        let agentCA = authority("agent-ca")
        let longAgo = Date().addingTimeInterval(-40 * 86_400)
        let later = Date().addingTimeInterval(30 * 86_400)
        let hosts = (dns: ["localhost"], ips: ["127.0.0.1"])

        write("expired-server", try! PKI.issue(commonName: "expired-server", purpose: .server, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: fleetCA, now: longAgo))
        write("future-server", try! PKI.issue(commonName: "future-server", purpose: .server, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: fleetCA, now: later))
        write("expired-agent", try! PKI.issue(commonName: "expired-agent", purpose: .client, dnsNames: [], ipAddresses: [], validityDays: 10, by: agentCA, now: longAgo))
        write("other-host", try! PKI.issue(commonName: "other-host", purpose: .server, dnsNames: ["elsewhere.example"], ipAddresses: [], validityDays: 10, by: fleetCA))
        write("agent-as-server", try! PKI.issue(commonName: "agent-as-server", purpose: .client, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: fleetCA))
        // The server certificate followed by its CA, as a server that sends its whole chain.
        write("fleet-with-ca", try! PKI.issue(commonName: "fleet-with-ca", purpose: .server, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: fleetCA), chain: [fleetCA.certificate])

        let rogue = try! PKI.makeCA(commonName: "Rogue CA", validityDays: 30)
        write("rogue-ca", rogue)
        let rogueAuthority = SigningAuthority(certificate: rogue.certificate, key: rogue.key.certificateKey)
        write("rogue-server", try! PKI.issue(commonName: "rogue-server", purpose: .server, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: rogueAuthority))
        write("rogue-agent", try! PKI.issue(commonName: "rogue-agent", purpose: .client, dnsNames: [], ipAddresses: [], validityDays: 10, by: rogueAuthority))

        let intermediate = try! PKI.makeCA(commonName: "Fleet Intermediate CA", validityDays: 30, signedBy: fleetCA)
        write("fleet-intermediate-ca", intermediate)
        let intermediateAuthority = SigningAuthority(certificate: intermediate.certificate, key: intermediate.key.certificateKey)
        let leaf = try! PKI.issue(commonName: "behind-intermediate", purpose: .server, dnsNames: hosts.dns, ipAddresses: hosts.ips, validityDays: 10, by: intermediateAuthority)
        write("leaf-only", leaf)
        write("leaf-with-intermediate", leaf, chain: [intermediate.certificate])
    }
}
