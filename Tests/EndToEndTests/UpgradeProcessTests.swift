import Crypto
import FleetProtocol
import FleetServer
import FleetStore
import FleetTLS
import Foundation
import TestSupport
import Testing

/// Remote upgrades with real processes: a Fleet Server, an agent running its own copy of the flotilla binary, a
/// second build of another version (the same binary with its version stamp rewritten, `scripts/stamp-version.py`),
/// signed with a key made by Debian's `minisign`.
@Suite(.timeLimit(.minutes(8))) struct UpgradeProcessTests {
    typealias RunningServer = FleetServerProcessTests.RunningServer

    /// A server with a release key, and an installed agent whose binary is its own copy.
    struct Fleet {
        let server: RunningServer
        let base: String
        let binary: String
        let agentId: String
        let secretKey: String
        var data: String { server.directory.file("data") }

        static func start(extraArguments: [String] = []) async throws -> Fleet {
            let server = try await RunningServer(clientAuth: "required", extraArguments: extraArguments)
            let directory = server.directory
            let pub = directory.file("release.pub"), key = directory.file("release.key")
            let made = try await ProcessRunner.run("minisign", ["-G", "-W", "-p", pub, "-s", key])
            #expect(made.status == 0, "\(made.output)")
            let set = try await flotilla(["server", "artifacts", "release-key", pub, "--data-dir", directory.file("data")])
            #expect(set.status == 0, "\(set.output)")
            #expect(set.stdout.contains("agents enrolled from now on pin it"))
            // The agent's own binary, without debug sections: a fifth of the size to copy, hash and download.
            try FileManager.default.createDirectory(atPath: directory.file("bin"), withIntermediateDirectories: true)
            let (base, binary, agentId) = try await installAgent(on: server, named: "agent")
            return Fleet(server: server, base: base, binary: binary, agentId: agentId, secretKey: key)
        }

        /// Another agent with its own copy of the binary, in `name` beside the server's files.
        static func installAgent(on server: RunningServer, named name: String) async throws -> (base: String, binary: String, id: String) {
            let directory = server.directory
            try FileManager.default.createDirectory(atPath: directory.file("\(name)-bin"), withIntermediateDirectories: true)
            let binary = directory.file("\(name)-bin/flotilla")
            let stripped = try await ProcessRunner.run("objcopy", ["--strip-debug", ProcessRunner.flotillaBinary, binary])
            #expect(stripped.status == 0, "\(stripped.output)")
            let base = directory.file(name)
            let installed = try await ProcessRunner.run(binary, ["install"] + (try server.seedAgentFlags()) + ["--base-path", base, "--non-interactive"])
            #expect(installed.status == 0, "\(installed.output)")
            let status = try await ProcessRunner.run(binary, ["status", "--base-path", base, "--output", "json"])
            let agentId = try #require(try JSONValue(data: Data(status.stdout.utf8))["agent_id"]?.stringValue)
            return (base, binary, agentId)
        }

        /// `binary` stamped as `version`, signed with the release key, added with `artifacts add`.
        func addBuild(_ version: String, from source: String? = nil) async throws -> String {
            let build = server.directory.file("flotilla-\(version)")
            if let source {
                try FileManager.default.copyItem(atPath: source, toPath: build)
            } else {
                let stamped = try await ProcessRunner.run("python3", [Self.stampScript, binary, build, version])
                #expect(stamped.status == 0, "\(stamped.output)")
            }
            let signed = try await ProcessRunner.run("minisign", ["-S", "-s", secretKey, "-m", build, "-t", "flotilla \(version)"])
            #expect(signed.status == 0, "\(signed.output)")
            let added = try await flotilla(["server", "artifacts", "add", build, "--version", version, "--data-dir", data])
            #expect(added.status == 0, "\(added.output)")
            return build
        }

        static var stampScript: String {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/stamp-version.py").path
        }

        func upgrade(to version: String) async throws -> String {
            let sent = try await flotilla(["server", "agents", "upgrade", "--version", version, agentId, "--data-dir", data])
            #expect(sent.status == 0, "\(sent.output)")
            return try #require(sent.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
        }

        func withStore<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
            let store = try SQLiteStore(path: server.directory.file("data/fleet.sqlite"))
            defer { Task { try? await store.close() } }
            return try await body(store)
        }

        /// The action's result once the agent acknowledged it.
        func result(_ actionId: String, within seconds: Double = 120) async throws -> ActionResultRecord? {
            try await withStore { store in
                var found: ActionResultRecord?
                _ = try await eventually(within: seconds) {
                    found = try await store.results(actionId: actionId).first
                    return found != nil
                }
                return found
            }
        }

        func reportedVersion() async throws -> String? {
            try await withStore { store in
                let agent = try await store.agent(id: agentId)
                return agent.flatMap { try? JSONValue(data: Data($0.localMetadata.utf8)) }?["elastic"]?["agent"]?["version"]?.stringValue
            }
        }

        func sha256(_ path: String) throws -> String {
            Hex.string(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    @Test func anAgentUpgradesToANewBuildAndChecksInAsIt() async throws {
        let fleet = try await Fleet.start()
        defer { Task { await fleet.server.stop() } }
        let build = try await fleet.addBuild("0.2.0")
        let agent = try BackgroundProcess(fleet.binary, ["run", "--base-path", fleet.base])
        defer { agent.stop() }
        #expect(try await eventually { try await fleet.reportedVersion() == FlotillaVersion.current })

        let actionId = try await fleet.upgrade(to: "0.2.0")
        let result = try #require(try await fleet.result(actionId), "the agent printed: \(agent.printed)")
        #expect(result.error.isEmpty, "\(result.error)")
        #expect(try await eventually { try await fleet.reportedVersion() == "0.2.0" })
        // The same process, now the new binary; the old one kept beside it.
        #expect(try fleet.sha256(fleet.binary) == (try fleet.sha256(build)))
        #expect(FileManager.default.fileExists(atPath: fleet.binary + ".previous"))
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent.processIdentifier)/exe")
        #expect(exe == fleet.binary)
        // Anyone can check the binary by hand with the key Fleet Server serves.
        let key = try await fleet.server.curl(try fleet.server.agentCredentials, path: "/api/agents/upgrades/0.2.0/pgp-public-key")
        let served = fleet.server.directory.write("served.pub", key.stdout)
        let checked = try await ProcessRunner.run("minisign", ["-V", "-p", served, "-m", build])
        #expect(checked.status == 0, "\(checked.output)")
    }

    @Test func aNewBinaryThatNeverChecksInIsRolledBack() async throws {
        let fleet = try await Fleet.start()
        defer { Task { await fleet.server.stop() } }
        // The agent the watcher starts again after the rollback is not this test's child.
        defer { _ = try? ProcessRunner.run("pkill", ["-f", fleet.base], stdin: nil, directory: nil, limit: 10) }
        // A "new version" that starts and never checks in.
        let hanging = fleet.server.directory.write("hanging.sh", "#!/bin/sh\nexec sleep 600\n")
        _ = try await fleet.addBuild("0.3.0", from: hanging)
        let before = try fleet.sha256(fleet.binary)
        let agent = try BackgroundProcess(fleet.binary, ["run", "--base-path", fleet.base, "--upgrade-watch", "5s"])
        defer { agent.stop() }
        #expect(try await eventually { try await fleet.reportedVersion() != nil })

        let actionId = try await fleet.upgrade(to: "0.3.0")
        let log = (try? String(contentsOfFile: fleet.base + "/agent-after-rollback.log", encoding: .utf8)) ?? ""
        let result = try #require(try await fleet.result(actionId), "the agent printed: \(agent.printed) then: \(log)")
        #expect(result.error.contains("version 0.3.0 did not check in"), "\(result.error)")
        #expect(result.error.contains("rolled back to \(FlotillaVersion.current)"))
        #expect(try fleet.sha256(fleet.binary) == before)
        // The check-in after the acknowledgement reports the failure, as the console shows it.
        #expect(try await eventually {
            try await fleet.withStore { try await $0.agent(id: fleet.agentId)?.upgradeDetails?.contains("UPG_FAILED") == true }
        })
        #expect(try await eventually { try await fleet.reportedVersion() == FlotillaVersion.current })
    }

    @Test func aTamperedBinaryAndAnUnpinnedKeyAreRefusedWithTheAgentUntouched() async throws {
        let fleet = try await Fleet.start()
        defer { Task { await fleet.server.stop() } }
        let before = try fleet.sha256(fleet.binary)
        let build = try await fleet.addBuild("0.4.0")
        let agent = try BackgroundProcess(fleet.binary, ["run", "--base-path", fleet.base])
        defer { agent.stop() }
        #expect(try await eventually { try await fleet.reportedVersion() != nil })

        // The file Fleet Server hands out is changed after it was added.
        let stored = fleet.data + "/artifacts/" + (try fleet.sha256(build))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stored))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: stored))
        let tampered = try #require(try await fleet.result(try await fleet.upgrade(to: "0.4.0")))
        #expect(tampered.error.contains("has SHA-256"), "\(tampered.error)")
        #expect(try fleet.sha256(fleet.binary) == before)

        // Another key, set straight in the store (a store written by someone else): the agent trusts the key it
        // pinned at enrollment, and the CLI refuses the swap without the old key's signature.
        let otherPub = fleet.server.directory.file("other.pub"), otherKey = fleet.server.directory.file("other.key")
        #expect(try await ProcessRunner.run("minisign", ["-G", "-W", "-p", otherPub, "-s", otherKey]).status == 0)
        let refused = try await flotilla(["server", "artifacts", "release-key", otherPub, "--data-dir", fleet.data])
        #expect(refused.status != 0)
        #expect(refused.output.contains("agents trust only a key it signed"), "\(refused.output)")
        try await fleet.withStore { store in
            try await store.saveReleaseKey(ReleaseKeyRecord(publicKey: try String(contentsOfFile: otherPub, encoding: .utf8)))
        }
        let other = fleet.server.directory.file("flotilla-0.5.0")
        #expect(try await ProcessRunner.run("python3", [Fleet.stampScript, fleet.binary, other, "0.5.0"]).status == 0)
        #expect(try await ProcessRunner.run("minisign", ["-S", "-s", otherKey, "-m", other]).status == 0)
        let added = try await flotilla(["server", "artifacts", "add", other, "--version", "0.5.0", "--data-dir", fleet.data])
        #expect(added.status == 0, "\(added.output)")
        let unpinned = try #require(try await fleet.result(try await fleet.upgrade(to: "0.5.0")))
        #expect(unpinned.error.contains("but this agent trusts"), "\(unpinned.error)")
        #expect(try fleet.sha256(fleet.binary) == before)
        #expect(try await fleet.reportedVersion() == FlotillaVersion.current)
    }

    @Test func aRolloutFromTheConsoleUpgradesSeveralAgentsOneAtATime() async throws {
        let consolePort = try FreePort.onLoopback()
        let fleet = try await Fleet.start(extraArguments: ["--console-port", "\(consolePort)"])
        defer { Task { await fleet.server.stop() } }
        _ = try await fleet.addBuild("0.2.0")
        var agents: [(base: String, binary: String, id: String)] = [(fleet.base, fleet.binary, fleet.agentId)]
        for name in ["second", "third"] { agents.append(try await Fleet.installAgent(on: fleet.server, named: name)) }
        let processes = try agents.map { try BackgroundProcess($0.binary, ["run", "--base-path", $0.base]) }
        defer { processes.forEach { $0.stop() } }
        let keyFile = fleet.server.directory.file("console.key")
        let key = try await flotilla(["console", "api-keys", "create", "--name", "rollout", "--output-file", keyFile, "--data-dir", fleet.data])
        #expect(key.status == 0, "\(key.output)")
        let apiKey = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let ids = agents.map { $0.id }
        #expect(try await eventually {
            try await fleet.withStore { store in try await store.agents().filter { ids.contains($0.id) && $0.lastCheckinAt != nil }.count == 3 }
        })

        let body = #"{"version": "0.2.0", "agents": ["\#(ids.joined(separator: "\", \""))"], "max_concurrent": 1}"#
        let started = try await ProcessRunner.run("curl", [
            "-sS", "--max-time", "10", "--cacert", fleet.server.cert("fleet-ca.crt"), "--resolve", "localhost:\(consolePort):127.0.0.1",
            "-H", "Authorization: ApiKey \(apiKey)", "-H", "Content-Type: application/json", "-H", "kbn-xsrf: true",
            "-d", body, "https://localhost:\(consolePort)/api/fleet/agents/bulk_upgrade",
        ])
        #expect(started.stdout.contains("actionId"), "\(started.output)")
        // Watched from the store: at no moment more than one agent between its UPGRADE and the acknowledgement.
        var most = 0
        let done = try await eventually(within: 180) {
            try await fleet.withStore { store in
                var inFlight = 0, finished = 0
                for id in ids {
                    for action in try await store.actions(forAgent: id, after: 0, now: Date()) where action.type == "UPGRADE" {
                        let answered = try await store.results(actionId: action.id).contains { $0.agentId == id }
                        if answered { finished += 1 } else { inFlight += 1 }
                    }
                }
                most = max(most, inFlight)
                return finished == 3
            }
        }
        #expect(done, "the agents printed: \(processes.map { $0.printed }.joined(separator: "\n---\n"))")
        #expect(most <= 1)
        let upgraded = try await eventually {
            try await fleet.withStore { store in
                try await store.agents().filter { ids.contains($0.id) && $0.localMetadata.contains(#""version":"0.2.0""#) }.count == 3
            }
        }
        #expect(upgraded)
    }

    @Test func aBinaryFromAnotherHTTPSServerIsFetchedWithThatServersOwnCA() async throws {
        let fleet = try await Fleet.start()
        defer { Task { await fleet.server.stop() } }
        let build = try await fleet.addBuild("0.8.0")
        // Another web server, with a certificate from a CA the agents' Fleet Server TLS does not trust (es-ca).
        let files = fleet.server.directory.file("downloads")
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: build, toPath: files + "/flotilla-0.8.0")
        let port = try FreePort.onLoopback()
        let web = try BackgroundProcess("openssl", [
            "s_server", "-WWW", "-quiet", "-accept", "\(port)",
            "-cert", fleet.server.cert("es-cert.crt"), "-key", fleet.server.cert("es-cert.key"),
        ], directory: files)
        defer { web.stop() }
        #expect(await waitForListener(port: port))
        let before = try fleet.sha256(fleet.binary)
        let agent = try BackgroundProcess(fleet.binary, ["run", "--base-path", fleet.base])
        defer { agent.stop() }
        #expect(try await eventually { try await fleet.reportedVersion() != nil })
        let url = "https://localhost:\(port)/flotilla-0.8.0"

        func upgrade(_ extra: [String]) async throws -> ActionResultRecord? {
            let sent = try await flotilla(
                ["server", "agents", "upgrade", "--version", "0.8.0", "--source-uri", url] + extra + [fleet.agentId, "--data-dir", fleet.data]
            )
            #expect(sent.status == 0, "\(sent.output)")
            let actionId = try #require(sent.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
            return try await fleet.result(actionId)
        }
        // With the Fleet Server CAs the other server is not trusted: refused, agent as it was.
        let untrusted = try #require(try await upgrade([]))
        #expect(untrusted.error.contains("localhost:\(port)"), "\(untrusted.error)")
        #expect(try fleet.sha256(fleet.binary) == before)
        // With that server's own CA, pushed in the action: downloaded, checked, running.
        let trusted = try #require(try await upgrade(["--source-ca", fleet.server.cert("es-ca.crt")]), "\(agent.printed)")
        #expect(trusted.error.isEmpty, "\(trusted.error)")
        #expect(try await eventually { try await fleet.reportedVersion() == "0.8.0" })
    }

    @Test func artifactsAndTheKeyRouteFollowTheContract() async throws {
        let fleet = try await Fleet.start()
        defer { Task { await fleet.server.stop() } }
        let build = try await fleet.addBuild("0.6.0")
        let sha = try fleet.sha256(build)
        let credentials = try fleet.server.agentCredentials
        // Without an agent's API key: 401, with the contract's error body.
        let anonymous = try await fleet.server.curl(credentials + ["-w", "%{http_code}", "-o", "/dev/null"], path: "/api/fleet/artifacts/0.6.0/\(sha)")
        #expect(anonymous.stdout == "401")
        let bad = try await fleet.server.curl(credentials + ["-w", "%{http_code}", "-o", "/dev/null"], path: "/api/agents/upgrades/latest/pgp-public-key")
        #expect(bad.stdout == "400")
        // A bad signature is refused when the binary is added, naming the file.
        let unsigned = fleet.server.directory.write("unsigned", "not a binary")
        let wrong = fleet.server.directory.write("unsigned.minisig", try String(contentsOfFile: build + ".minisig", encoding: .utf8))
        let refused = try await flotilla(["server", "artifacts", "add", unsigned, "--version", "0.7.0", "--signature", wrong, "--data-dir", fleet.data])
        #expect(refused.status != 0)
        #expect(refused.output.contains("The signature of the agent binary \(unsigned) does not match its contents"), "\(refused.output)")
        let listed = try await flotilla(["server", "artifacts", "list", "--data-dir", fleet.data])
        #expect(listed.stdout.contains("0.6.0  sha256=\(sha)"))
        #expect(!listed.stdout.contains("0.7.0"))
    }
}
