import FleetAgent
import FleetTLS
import Foundation
import TestSupport
import Testing

/// The agent's state is encrypted at rest, its files are private, and tampering is refused with a sentence.
@Suite(.timeLimit(.minutes(5))) struct AgentVaultTests {
    func sampleState() -> AgentState {
        AgentState(
            agentId: "agent-1", accessAPIKey: "c2VjcmV0LWtleS1pZDpzZWNyZXQtYXBpLWtleQ==", fleetHosts: ["https://fleet.example.com:8220"],
            fleetTLS: TLSSettings(certificateAuthorities: ["/etc/flotilla/fleet-ca.crt"]), policyId: "default-policy",
            enrolledAt: "2026-11-30T00:00:00Z", tags: ["web"]
        )
    }

    @Test func stateIsEncryptedAndPrivate() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        try vault.save(sampleState())
        #expect(try vault.load() == sampleState())
        // The file is base64 text: look in its bytes too, or plain JSON merely base64-encoded would pass.
        let onDisk = try String(contentsOfFile: directory.file("state.enc"), encoding: .utf8)
        let sealed = try #require(Data(base64Encoded: onDisk.trimmingCharacters(in: .whitespacesAndNewlines)))
        for secret in ["c2VjcmV0LWtleS1pZDpzZWNyZXQtYXBpLWtleQ==", "fleet.example.com", "agent-1", "fleet-ca.crt"] {
            #expect(!onDisk.contains(secret))
            #expect(sealed.range(of: Data(secret.utf8)) == nil, "\(secret) is readable in state.enc")
        }
        for name in ["state.enc", "vault.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.file(name))[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func tamperedStateIsRefusedAndNamed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        try vault.save(sampleState())
        var sealed = Data(base64Encoded: try String(contentsOfFile: directory.file("state.enc"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        sealed[sealed.count / 2] ^= 0x01
        try (sealed.base64EncodedString() + "\n").write(toFile: directory.file("state.enc"), atomically: true, encoding: .utf8)
        #expect(throws: FlotillaError.self) { try vault.load() }
        do {
            _ = try vault.load()
        } catch {
            #expect(error.message.contains(directory.file("state.enc")))
            #expect(error.message.contains("cannot be decrypted"))
        }
    }

    @Test func stateWithoutItsKeyIsRefusedAndNamed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let vault = AgentVault(directory: directory.path)
        try vault.save(sampleState())
        try FileManager.default.removeItem(atPath: directory.file("vault.key"))
        do {
            _ = try vault.load()
            Issue.record("state was read without its key")
        } catch {
            #expect(error.message.contains("no vault key"))
        }
    }
}
