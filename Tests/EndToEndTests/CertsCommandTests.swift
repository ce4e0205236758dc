import FleetTLS
import Foundation
import TestSupport
import Testing

/// `flotilla certs` as a user runs it, with openssl as the judge of what it writes.
@Suite(.timeLimit(.minutes(5))) struct CertsCommandTests {
    func openssl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run("openssl", arguments)
    }

    /// A failure a user sees: one line on stderr, a non-zero exit, nothing that looks like a crash.
    func expectOneSentenceFailure(_ result: ProcessResult, mentioning parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("error:0"), sourceLocation: sourceLocation)
        for part in parts {
            #expect(result.stderr.contains(part), "\(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func initMakesTheSeedsFilesThatOpenSSLAccepts() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let made = try await flotilla(["certs", "init", directory.path, "--dns", "fleet.example.com", "--dns", "localhost"])
        #expect(made.status == 0, "\(made.output)")
        for name in ["fleet-cert", "agent-cert", "es-cert", "fleet-es-cert"] {
            #expect(made.stdout.contains("\(name).crt"))
        }
        #expect(made.stdout.contains("presented by: each agent, to Fleet Server under mTLS"))

        for (certificate, ca, purpose) in [("fleet-cert", "fleet-ca", "sslserver"), ("agent-cert", "agent-ca", "sslclient"), ("es-cert", "es-ca", "sslserver"), ("fleet-es-cert", "es-ca", "sslclient")] {
            let verified = try await openssl(["verify", "-purpose", purpose, "-CAfile", directory.file("\(ca).crt"), directory.file("\(certificate).crt")])
            #expect(verified.stdout.contains(": OK"), "\(certificate): \(verified.output)")
        }
        let opened = try await openssl(["pkey", "-in", directory.file("agent-cert.key"), "-passin", "file:\(directory.file("agent-cert.passphrase"))", "-noout"])
        #expect(opened.status == 0, "\(opened.output)")
        let withoutPassphrase = try await openssl(["pkey", "-in", directory.file("agent-cert.key"), "-passin", "pass:", "-noout"])
        #expect(withoutPassphrase.status != 0)

        let hostCheck = try await openssl(["x509", "-in", directory.file("fleet-cert.crt"), "-noout", "-checkhost", "fleet.example.com", "-checkip", "127.0.0.1"])
        #expect(hostCheck.stdout.contains("does match certificate"))
        #expect(!hostCheck.stdout.contains("does NOT match"))

        for name in ["fleet-ca.key", "agent-ca.key", "es-ca.key", "fleet-cert.key", "agent-cert.key", "es-cert.key", "fleet-es-cert.key", "agent-cert.passphrase"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.file(name))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name) is \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test func initReusesACompleteSetAndRefusesToMixWithAPartialOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await flotilla(["certs", "init", directory.path]).status == 0)
        let before = try String(contentsOfFile: directory.file("fleet-cert.crt"), encoding: .utf8)
        let again = try await flotilla(["certs", "init", directory.path])
        #expect(again.status == 0)
        #expect(again.stdout.contains("Reusing"))
        #expect(try String(contentsOfFile: directory.file("fleet-cert.crt"), encoding: .utf8) == before)

        try FileManager.default.removeItem(atPath: directory.file("agent-cert.key"))
        let partial = try await flotilla(["certs", "init", directory.path])
        expectOneSentenceFailure(partial, mentioning: ["already holds part of a certificate set", "--force"])
        #expect(try await flotilla(["certs", "init", directory.path, "--force"]).status == 0)
        #expect(try String(contentsOfFile: directory.file("fleet-cert.crt"), encoding: .utf8) != before)
    }

    @Test func rsaCAAndEncryptedServerKeyOpenInOpenSSL() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let prefix = directory.file("corp-ca")
        #expect(try await flotilla(["certs", "ca", "--out", prefix, "--name", "Corp CA", "--key-type", "rsa-2048"]).status == 0)
        let passphrase = directory.write("server.pass", "correct horse battery staple\n")
        let issued = try await flotilla([
            "certs", "issue", "--ca", "\(prefix).crt", "--ca-key", "\(prefix).key", "--purpose", "server", "--name", "fleet.corp",
            "--dns", "fleet.corp", "--ip", "10.0.0.5", "--key-type", "rsa-2048", "--key-passphrase-file", passphrase, "--out", directory.file("fleet"),
        ])
        #expect(issued.status == 0, "\(issued.output)")
        let verified = try await openssl(["verify", "-purpose", "sslserver", "-CAfile", "\(prefix).crt", directory.file("fleet.crt")])
        #expect(verified.stdout.contains(": OK"), "\(verified.output)")
        let opened = try await openssl(["pkey", "-in", directory.file("fleet.key"), "-passin", "file:\(passphrase)", "-noout"])
        #expect(opened.status == 0, "\(opened.output)")
        let text = try await openssl(["x509", "-in", directory.file("fleet.crt"), "-noout", "-text"])
        #expect(text.stdout.contains("DNS:fleet.corp, IP Address:10.0.0.5"))
        #expect(text.stdout.contains("TLS Web Server Authentication"))
        #expect(text.stdout.contains("Public-Key: (2048 bit)"))

        let check = try await flotilla(["certs", "verify", "--ca", "\(prefix).crt", "--cert", directory.file("fleet.crt"), "--key", directory.file("fleet.key"), "--key-passphrase-file", passphrase, "--host", "10.0.0.5"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.stdout.contains("matches its key"))
    }

    @Test func inspectShowsWhatOpenSSLComputes() async throws {
        let certs = CertificateFixtures.shared
        let shown = try await flotilla(["certs", "inspect", certs.fleetCert])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("DNS names:     localhost, fleet.flotilla.test"))
        #expect(shown.stdout.contains("IP addresses:  127.0.0.1"))
        #expect(shown.stdout.contains("days left"))
        #expect(shown.stdout.contains("ECDSA P-256"))

        let fingerprint = try await openssl(["x509", "-in", certs.fleetCert, "-noout", "-fingerprint", "-sha256"])
        let hex = fingerprint.stdout.split(separator: "=").last!.replacingOccurrences(of: ":", with: "").lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(shown.stdout.contains("sha256:        \(hex)"))

        let pin = try await ProcessRunner.run("/bin/sh", ["-c", "openssl x509 -in '\(certs.fleetCert)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"])
        #expect(shown.stdout.contains("ca_sha256:     \(pin.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"))

        let key = try await flotilla(["certs", "inspect", certs.agentKey])
        #expect(key.stdout.contains("encrypted:     yes"))
        let chain = try await flotilla(["certs", "inspect", certs.path("leaf-with-intermediate.crt")])
        #expect(chain.stdout.contains("Certificate 2 of 2"))
    }

    @Test func verifyAcceptsTheSeedsCertificates() async throws {
        let certs = CertificateFixtures.shared
        let server = try await flotilla(["certs", "verify", "--ca", certs.fleetCA, "--cert", certs.fleetCert, "--key", certs.fleetKey, "--host", "localhost"])
        #expect(server.status == 0, "\(server.output)")
        #expect(server.stdout.contains("OK: localhost chains to Flotilla Fleet CA"))
        let agent = try await flotilla(["certs", "verify", "--ca", "\(certs.fleetCA),\(certs.agentCA)", "--cert", certs.agentCert, "--key", certs.agentKey, "--key-passphrase-file", certs.agentPassphrase])
        #expect(agent.status == 0, "\(agent.output)")
        #expect(agent.stdout.contains("a client certificate"))
    }

    @Test func verifySaysInOneSentenceWhatIsWrong() async throws {
        let certs = CertificateFixtures.shared
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let wrongPassphrase = directory.write("wrong.pass", "nope")
        let cases: [([String], [String])] = [
            (["--ca", certs.agentCA, "--cert", certs.fleetCert], ["issued by Flotilla Fleet CA, which is not among the trusted CAs (Flotilla Agent CA)"]),
            (["--ca", certs.fleetCA, "--cert", certs.fleetCert, "--host", "fleet.other.test"], ["not for fleet.other.test"]),
            (["--ca", certs.agentCA, "--cert", certs.agentCert, "--purpose", "server"], ["is a client certificate, not a server certificate"]),
            (["--ca", certs.fleetCA, "--cert", certs.fleetCert, "--key", certs.path("es-cert.key")], ["does not match", certs.path("es-cert.key")]),
            (["--ca", certs.agentCA, "--cert", certs.agentCert, "--key", certs.agentKey, "--key-passphrase-file", wrongPassphrase], ["does not open", wrongPassphrase]),
            (["--ca", certs.fleetCA, "--cert", certs.path("expired-server.crt")], ["expired on", certs.path("expired-server.crt")]),
            (["--ca", certs.fleetCert, "--cert", certs.fleetCert], ["holds no CA certificate", certs.fleetCert]),
            (["--ca", certs.fleetCA, "--cert", directory.file("missing.crt")], ["does not exist", directory.file("missing.crt")]),
            (["--ca", certs.fleetCA, "--cert", certs.path("leaf-only.crt")], ["missing intermediate"]),
        ]
        for (arguments, parts) in cases {
            expectOneSentenceFailure(try await flotilla(["certs", "verify"] + arguments), mentioning: parts)
        }
    }

    @Test func issueRefusesALeafAsCAAndWritesNothing() async throws {
        let certs = CertificateFixtures.shared
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let out = directory.file("x")
        let leafAsCA = try await flotilla(["certs", "issue", "--ca", certs.fleetCert, "--ca-key", certs.fleetKey, "--purpose", "client", "--name", "a", "--out", out])
        expectOneSentenceFailure(leafAsCA, mentioning: ["is not a CA certificate"])
        let wrongKey = try await flotilla(["certs", "issue", "--ca", certs.fleetCA, "--ca-key", certs.path("agent-ca.key"), "--purpose", "client", "--name", "a", "--out", out])
        expectOneSentenceFailure(wrongKey, mentioning: ["does not match", certs.path("agent-ca.key")])
        let noNames = try await flotilla(["certs", "issue", "--ca", certs.fleetCA, "--ca-key", certs.path("fleet-ca.key"), "--purpose", "server", "--name", "a", "--out", out])
        expectOneSentenceFailure(noNames, mentioning: ["--dns or --ip"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
