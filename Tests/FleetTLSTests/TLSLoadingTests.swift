import FleetTLS
import Foundation
import TestSupport
import Testing

/// Every loading error names the file and says what to do, before anything is served.
@Suite(.timeLimit(.minutes(5))) struct TLSLoadingTests {
    let certs = CertificateFixtures.shared

    func serverError(_ settings: TLSSettings) -> FlotillaError? {
        do {
            _ = try TLSServerContext(settings: settings)
            return nil
        } catch {
            return error
        }
    }

    func clientError(_ settings: TLSSettings) -> FlotillaError? {
        do {
            _ = try TLSClientContext(settings: settings)
            return nil
        } catch {
            return error
        }
    }

    /// What a browser's text area sends, and what Windows editors write: CRLF line ends.
    @Test func inlinePEMWithWindowsLineEndsLoads() throws {
        let certs = CertificateFixtures.shared
        let certificate = try String(contentsOfFile: certs.fleetCert, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
        let key = try String(contentsOfFile: certs.fleetKey, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
        let identity = try TLSIdentity.load(certificate: certificate, key: key, passphrasePath: nil, role: "Fleet Server certificate")
        #expect(identity.certificateOrigin == "inline PEM")
    }

    /// A damaged block whose END line survived, then a BEGIN line whose END did not (the shape the fuzzer found,
    /// which crashed the CA loader): one sentence that names the flag and the file, as CA and as certificate.
    @Test func certificateFileWithoutAWholeBlockIsNamed() throws {
        let directory = TemporaryDirectory("flotilla-tls")
        defer { directory.remove() }
        let cut = directory.write("cut.crt", """
            -----BEGIN CERTIFICATEMIIB
            AAAA
            -----END CERTIFICATE-----
            -----BEGIN CERTIFICATE-----
            MIIBsDCCAVWgAwIBAgIU

            """)
        let asCA = try #require(serverError(TLSSettings(certificateAuthorities: [cut], certificate: certs.fleetCert, key: certs.fleetKey, clientAuth: .required)))
        #expect(asCA.message.contains(cut) && asCA.message.contains("--certificate-authorities"), "\(asCA.message)")
        #expect(asCA.message.contains("no whole certificate"), "\(asCA.message)")
        let asCertificate = try #require(serverError(TLSSettings(certificate: cut, key: certs.fleetKey)))
        #expect(asCertificate.message.contains("--fleet-server-cert") && asCertificate.message.contains("no whole certificate"), "\(asCertificate.message)")
    }

    @Test func missingCertificateFileIsNamed() throws {
        let missing = certs.path("no-such.crt")
        let error = try #require(serverError(TLSSettings(certificate: missing, key: certs.fleetKey)))
        #expect(error.message.contains(missing))
        #expect(error.message.contains("does not exist"))
    }

    // Root reads any file whatever its mode, so this runs only as another user.
    @Test(.enabled(if: getuid() != 0, "root can read a file of mode 000"))
    func unreadableKeyFileIsNamed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let key = directory.write("unreadable.key", try String(contentsOfFile: certs.fleetKey, encoding: .utf8))
        chmod(key, 0)
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetCert, key: key)))
        #expect(error.message.contains(key))
        #expect(error.message.contains("cannot be read"))
    }

    @Test func directoryGivenAsKeyIsNamed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetCert, key: directory.path)))
        #expect(error.message.contains(directory.path))
        #expect(error.message.contains("is a directory"))
    }

    @Test func certificateThatIsNotPEMIsNamed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let garbage = directory.write("garbage.crt", "this is not a certificate\n")
        let error = try #require(serverError(TLSSettings(certificate: garbage, key: certs.fleetKey)))
        #expect(error.message.contains(garbage))
        #expect(error.message.contains("not PEM"))
    }

    @Test func keyGivenAsCertificateIsNamed() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetKey, key: certs.fleetKey)))
        #expect(error.message.contains(certs.fleetKey))
        #expect(error.message.contains("not a certificate"))
    }

    @Test func keyThatDoesNotMatchItsCertificateIsNamed() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetCert, key: certs.path("es-cert.key"))))
        #expect(error.message.contains(certs.path("es-cert.key")))
        #expect(error.message.contains(certs.fleetCert))
        #expect(error.message.contains("does not match"))
    }

    @Test func encryptedKeyWithoutPassphraseIsNamed() throws {
        let settings = TLSSettings(certificateAuthorities: [certs.fleetCA], certificate: certs.agentCert, key: certs.agentKey)
        let error = try #require(clientError(settings))
        #expect(error.message.contains(certs.agentKey))
        #expect(error.message.contains("encrypted and no passphrase"))
    }

    @Test func wrongPassphraseIsNamedWithoutRevealingIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let wrong = directory.write("wrong.passphrase", "not-the-passphrase")
        var settings = certs.clientSettings(mutual: true)
        settings.keyPassphrasePath = wrong
        let error = try #require(clientError(settings))
        #expect(error.message.contains(wrong))
        #expect(error.message.contains(certs.agentKey))
        #expect(error.message.contains("does not open"))
        #expect(!error.description.contains("not-the-passphrase"))
    }

    @Test func passphraseFileWithTrailingNewlineIsAccepted() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let passphrase = try String(contentsOfFile: certs.agentPassphrase, encoding: .utf8)
        #expect(!passphrase.hasSuffix("\n"))
        var settings = certs.clientSettings(mutual: true)
        settings.keyPassphrasePath = directory.write("newline.passphrase", passphrase + "\n")
        #expect(clientError(settings) == nil)
        settings.keyPassphrasePath = directory.write("crlf.passphrase", passphrase + "\r\n")
        #expect(clientError(settings) == nil)
    }

    @Test func expiredCertificateIsNamed() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.path("expired-server.crt"), key: certs.path("expired-server.key"))))
        #expect(error.message.contains(certs.path("expired-server.crt")))
        #expect(error.message.contains("expired on"))
    }

    @Test func notYetValidCertificateIsNamed() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.path("future-server.crt"), key: certs.path("future-server.key"))))
        #expect(error.message.contains(certs.path("future-server.crt")))
        #expect(error.message.contains("not valid before"))
    }

    @Test func caFileWithoutACAIsNamed() throws {
        let error = try #require(clientError(TLSSettings(certificateAuthorities: [certs.fleetCert])))
        #expect(error.message.contains(certs.fleetCert))
        #expect(error.message.contains("no CA certificate"))
        #expect(error.description.contains("Flotilla Fleet CA"))  // the hint names the CA to use instead
    }

    @Test func missingCAFileIsNamed() throws {
        let missing = certs.path("missing-ca.crt")
        let error = try #require(serverError(TLSSettings(certificateAuthorities: [missing], certificate: certs.fleetCert, key: certs.fleetKey, clientAuth: .required)))
        #expect(error.message.contains(missing))
    }

    @Test func clientAuthWithoutCAsIsRefused() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetCert, key: certs.fleetKey, clientAuth: .required)))
        #expect(error.message.contains("client_auth required"))
    }

    @Test func serverCertificateUsedAsClientCertificateIsRefused() throws {
        let settings = TLSSettings(certificateAuthorities: [certs.fleetCA], certificate: certs.fleetCert, key: certs.fleetKey)
        let error = try #require(clientError(settings))
        #expect(error.message.contains("not a client certificate"))
        #expect(error.message.contains(certs.fleetCert))
    }

    @Test func certificateWithoutKeyIsRefused() throws {
        let error = try #require(serverError(TLSSettings(certificate: certs.fleetCert)))
        #expect(error.message.contains("without its key"))
    }

    @Test func inlinePEMIsAccepted() throws {
        let settings = TLSSettings(
            certificateAuthorities: [try String(contentsOfFile: certs.fleetCA, encoding: .utf8)],
            certificate: try String(contentsOfFile: certs.fleetCert, encoding: .utf8),
            key: try String(contentsOfFile: certs.fleetKey, encoding: .utf8)
        )
        #expect(serverError(settings) == nil)
        #expect(clientError(TLSSettings(certificateAuthorities: settings.certificateAuthorities)) == nil)
    }

    @Test func settingsDecodeFromSnakeCaseWithDefaults() throws {
        let json = #"{"certificate_authorities":["/a.crt"],"verification_mode":"certificate","client_auth":"optional","ca_sha256":["x"]}"#
        let settings = try JSONDecoder().decode(TLSSettings.self, from: Data(json.utf8))
        #expect(settings.certificateAuthorities == ["/a.crt"])
        #expect(settings.verificationMode == .certificate)
        #expect(settings.clientAuth == .optional)
        #expect(settings.supportedProtocols == [.tls12, .tls13])
    }
}
