import FleetServer
import FleetStore
import FleetTLS
import Foundation
import Logging
import TestSupport
import Testing

/// The seed's two links to the store, against a real PostgreSQL: one-way TLS (CA and host name verified, password)
/// and mutual TLS (client certificate), and each way they fail, as one sentence.
@Suite(.timeLimit(.minutes(5))) struct PostgresLinkTests {
    func open(_ url: String, _ tls: TLSSettings?, passwordFile: String? = nil) async throws(FlotillaError) -> PostgresStore {
        try await PostgresStore(link: PostgresLink(url: url, tls: tls, passwordFile: passwordFile, environment: [:]), logger: Logger(label: "test"))
    }

    func refusal(_ url: String, _ tls: TLSSettings?, passwordFile: String? = nil) async -> FlotillaError? {
        do {
            let store = try await open(url, tls, passwordFile: passwordFile)
            try? await store.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func theOneWayLinkVerifiesTheStoresCertificateAndLogsInWithAPassword() async throws {
        let pg = try await PostgresInstance.shared.value
        let store = try await open(pg.url(), TLSSettings(certificateAuthorities: [pg.cert("es-ca.crt")]), passwordFile: pg.passwordFile)
        try await store.ping()
        try await store.close()

        // The CA pinned by fingerprint instead of given as a file.
        let fingerprint = try CertificateCheck.leaf(pg.cert("es-ca.crt")).sha256Fingerprint
        let pinned = try await open(pg.url(), TLSSettings(caTrustedFingerprint: fingerprint), passwordFile: pg.passwordFile)
        try await pinned.ping()
        try await pinned.close()
    }

    @Test func theMutualLinkPresentsTheFleetServersClientCertificate() async throws {
        let pg = try await PostgresInstance.shared.value
        let tls = TLSSettings(certificateAuthorities: [pg.cert("es-ca.crt")], certificate: pg.cert("fleet-es-cert.crt"), key: pg.cert("fleet-es-cert.key"))
        let store = try await open(pg.url(certificateRole: true), tls)
        try await store.ping()
        try await store.close()
    }

    @Test func eachFailureIsOneSentenceThatSaysWhatToDo() async throws {
        let pg = try await PostgresInstance.shared.value
        let ca = TLSSettings(certificateAuthorities: [pg.cert("es-ca.crt")])
        let fixtures = CertificateFixtures.shared
        let wrongPassword = pg.directory.write("wrong.password", "nope\n")
        let cases: [(String, TLSSettings?, String?, [String])] = [
            (pg.url(), TLSSettings(certificateAuthorities: [pg.cert("fleet-ca.crt")]), pg.passwordFile, ["not among the trusted CAs", "--fleet-server-es-ca"]),
            (pg.url(host: "localhost"), ca, pg.passwordFile, ["is for store.example.test, 127.0.0.1, not for localhost"]),
            (pg.url(certificateRole: true), ca, nil, ["requires a client certificate and none was given", "--fleet-server-es-cert"]),
            (pg.url(certificateRole: true), TLSSettings(certificateAuthorities: [pg.cert("es-ca.crt")], certificate: fixtures.path("rogue-agent.crt"), key: fixtures.path("rogue-agent.key")), nil, ["does not trust", "rogue-agent"]),
            (pg.url(), ca, wrongPassword, ["refused the password of user flotilla_pw"]),
            (pg.url(), ca, nil, ["asks user flotilla_pw for a password and none was given"]),
            (pg.url(database: "no_such_database"), ca, pg.passwordFile, ["database no_such_database does not exist"]),
            ("postgres://flotilla_pw:secret@127.0.0.1:\(pg.port)/fleet_pw", ca, nil, ["password in its URL"]),
        ]
        for (url, tls, passwordFile, parts) in cases {
            let error = try #require(await refusal(url, tls, passwordFile: passwordFile), "\(url) was accepted")
            for part in parts {
                #expect(error.description.contains(part), "\(error.description)")
            }
            #expect(!error.description.contains("secret") && !error.description.contains(pg.password))
            #expect(!error.description.contains("PSQLError") && !error.description.contains("NIOSSL"), "\(error.description)")
        }
    }

    @Test func skippingVerificationIsPossibleButNeverTheDefault() async throws {
        let pg = try await PostgresInstance.shared.value
        // No CA given: the system's CAs do not know the store's, so the link is refused.
        let refused = try #require(await refusal(pg.url(), nil, passwordFile: pg.passwordFile))
        #expect(refused.message.contains("Refused the store"), "\(refused.description)")
        let insecure = try await open(pg.url(), TLSSettings(verificationMode: .none), passwordFile: pg.passwordFile)
        try await insecure.ping()
        try await insecure.close()
    }
}
