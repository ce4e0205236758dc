import FleetProtocol
import FleetTLS
import Foundation
import Logging

/// Carries out an UPGRADE action up to the restart: pins or rotates the release key, downloads the binary through
/// the agent's own HTTP client (proxy and TLS as for Fleet Server), checks its SHA-256 and its minisign signature,
/// keeps the running binary beside it and swaps the new one in with one rename.
///
/// Any failure before the rename leaves the running agent as it was, with one sentence saying why; the download is
/// removed.
public struct AgentUpgrader: Sendable {
    /// The binary to replace: the running one.
    public let binary: String
    /// How long the new version has to check in before the watcher puts the old one back.
    public let watchSeconds: Double
    let logger: Logger

    public init(binary: String = AgentUpgrader.runningBinary, watchSeconds: Double = 600, logger: Logger) {
        self.binary = binary
        self.watchSeconds = watchSeconds
        self.logger = logger
    }

    /// The path of the running executable.
    public static var runningBinary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Where the binary before an upgrade is kept.
    public var previousBinary: String { binary + ".previous" }

    /// Downloads, checks and swaps in the binary `action` names. Returns the progress to save before restarting.
    /// - Parameter state: the release key is pinned or rotated in it; the caller saves it.
    /// - Parameter onDownload: told where the download goes, once it starts (for its progress).
    public func install(
        _ action: Action, state: inout AgentState, connection: FleetConnection,
        onDownload: @Sendable (HTTPBodySink) -> Void = { _ in }
    ) async throws(FlotillaError) -> UpgradeProgress {
        let request: UpgradeActionData
        do { request = try action.data.decode(UpgradeActionData.self) } catch {
            throw FlotillaError("The UPGRADE action \(action.id) carries no version to upgrade to")
        }
        guard let sha256 = request.sha256?.lowercased(), sha256.count == 64, let signatureText = request.signature else {
            throw FlotillaError(
                "The UPGRADE action to \(request.version) carries no SHA-256 and signature, so the binary cannot be checked",
                hint: "add the binary with flotilla server artifacts add and upgrade from the console"
            )
        }
        let key = try releaseKey(request.releaseKey, state: &state)
        let signature = try MinisignSignature(
            text: signatureText,
            source: "The signature in the UPGRADE action to \(request.version)"
        )
        let directory = (binary as NSString).deletingLastPathComponent
        let download = (directory as NSString).appendingPathComponent(".flotilla-\(request.version).download")
        defer { try? FileManager.default.removeItem(atPath: download) }
        let sink = try HTTPBodySink(path: download)
        onDownload(sink)
        let answer: FleetConnection.Answer
        if let source = request.sourceURI {
            // The download source's own TLS settings when the action gives them; else those towards Fleet Server.
            var tls = state.fleetTLS
            if let ssl = request.ssl, !ssl.isNull {
                do { tls = try ssl.decode(TLSSettings.self) } catch {
                    throw FlotillaError("The TLS settings of the download source \(source) in the UPGRADE action are not valid: \(error)")
                }
            }
            let elsewhere = try FleetConnection(url: source, tls: tls, options: state.connection)
            answer = try await elsewhere.send("GET", "", timeout: 1800, sink: sink)
        } else {
            answer = try await connection.send(
                "GET", "/api/fleet/artifacts/\(request.version)/\(sha256)", authorization: "ApiKey \(state.accessAPIKey)",
                timeout: 1800, sink: sink
            )
        }
        let (size, downloaded) = try sink.finish()
        guard answer.status == 200 else {
            throw FlotillaError(
                "Downloading \(request.version) failed (\(answer.status)): \(answer.message)",
                hint: "the agent keeps running its version"
            )
        }
        guard downloaded == sha256 else {
            throw FlotillaError(
                "The downloaded binary for \(request.version) (\(size) bytes) has SHA-256 \(downloaded), not \(sha256) as the action says",
                hint: "the agent keeps running its version; add the binary again with flotilla server artifacts add"
            )
        }
        try key.verify(signature, fileAt: download, what: "the binary for \(request.version)")
        chmod(download, 0o755)
        // The old binary stays beside the new one for the watcher; a hard link costs no copy.
        try? FileManager.default.removeItem(atPath: previousBinary)
        if link(binary, previousBinary) != 0 {
            do { try FileManager.default.copyItem(atPath: binary, toPath: previousBinary) } catch {
                throw FlotillaError(
                    "Cannot keep the running binary as \(previousBinary)",
                    hint: "check the free space and permissions there"
                )
            }
        }
        guard rename(download, binary) == 0 else {
            throw FlotillaError(
                "Cannot replace \(binary) with the new binary: \(String(cString: strerror(errno)))",
                hint: "check the permissions of \(directory)"
            )
        }
        logger.info("Installed \(request.version) in place of \(FlotillaVersion.current); restarting into it")
        return UpgradeProgress(
            actionId: action.id, targetVersion: request.version, previousVersion: FlotillaVersion.current, state: .restarting,
            binary: binary, previousBinary: previousBinary, watchUntil: Date().addingTimeInterval(watchSeconds)
        )
    }

    /// The key to check the binary with. The first key an agent meets is pinned; a different one later is taken
    /// only with the pinned key's signature of it.
    func releaseKey(_ offered: UpgradeActionData.ReleaseKey?, state: inout AgentState) throws(FlotillaError) -> MinisignPublicKey {
        let pinned = try state.releaseKey.map { text throws(FlotillaError) in
            try MinisignPublicKey(text: text, source: "The release key this agent pinned")
        }
        guard let offered else {
            guard let pinned else {
                throw FlotillaError(
                    "This agent has no release key to check the binary with",
                    hint: "set one with flotilla server artifacts release-key"
                )
            }
            return pinned
        }
        let key = try MinisignPublicKey(text: offered.publicKey, source: "The release key in the UPGRADE action")
        guard let pinned else {
            state.releaseKey = offered.publicKey
            logger.info("Pinned release key \(key.keyIdHex)")
            return key
        }
        if pinned == key { return key }
        guard let signatureText = offered.rotationSignature else {
            throw FlotillaError(
                "The UPGRADE action names release key \(key.keyIdHex), but this agent trusts \(pinned.keyIdHex) and the new key is not signed by it",
                hint: "rotate the key with flotilla server artifacts release-key NEW.pub --signed-by-previous NEW.pub.minisig"
            )
        }
        let signature = try MinisignSignature(
            text: signatureText,
            source: "The rotation signature of release key \(key.keyIdHex)"
        )
        try pinned.verify(signature, data: Array(offered.publicKey.utf8), what: "the new release key \(key.keyIdHex)")
        state.releaseKey = offered.publicKey
        logger.info("Release key rotated from \(pinned.keyIdHex) to \(key.keyIdHex)")
        return key
    }
}
