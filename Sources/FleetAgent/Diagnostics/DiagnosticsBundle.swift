import FleetProtocol
import FleetTLS
import Foundation
import ZIPFoundation

/// What REQUEST_DIAGNOSTICS uploads: a zip of the agent's status, its effective configuration with every secret
/// taken out, its recent log lines, its certificates and its inputs, queues and outputs.
///
/// Nothing secret goes in: the API key, passphrases, keys and tokens are left out or replaced by `<redacted>`.
public enum DiagnosticsBundle {
    /// The zip's bytes.
    /// - Parameters:
    ///   - components: the pipeline's inputs and outputs with their figures, as check-ins report them.
    ///   - logs: the agent's recent log lines.
    public static func make(state: AgentState, components: JSONValue?, logs: [AgentLogTap.Line], now: Date = Date()) throws(FlotillaError) -> Data {
        var files: [(String, Data)] = []
        files.append(("status.json", json(status(state, now: now))))
        files.append(("policy.json", json(Redaction.redact(state.policy ?? .object([:])))))
        files.append(("fleet-connection.json", json(Redaction.redact((try? JSONValue(encoding: state.fleetTLS)) ?? .null))))
        files.append(("components.json", json(components ?? .array([]))))
        let lines = logs.map { line in
            let time = String(decoding: line.timestamp, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return "\(time) \(line.level) \(line.label): \(Redaction.redactText(line.message))"
        }
        files.append(("logs.txt", Data((lines.joined(separator: "\n") + "\n").utf8)))
        files.append(("certificates.txt", Data(certificates(state, now: now).utf8)))
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (name, data) in files {
                try archive.addEntry(
                    with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: now,
                    compressionMethod: .deflate
                ) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
            }
            guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
            return data
        } catch {
            throw FlotillaError("Cannot build the diagnostics bundle: \(error.localizedDescription)")
        }
    }

    static func status(_ state: AgentState, now: Date) -> JSONValue {
        var status: JSONValue = [
            "agent_id": .string(state.agentId), "version": .string(FlotillaVersion.current),
            "fleet_hosts": .array(state.fleetHosts.map { .string($0) }), "policy_id": .string(state.policyId),
            "policy_revision": .number(Double(state.policyRevision)), "enrolled_at": .string(state.enrolledAt),
            "tags": .array(state.tags.map { .string($0) }), "unenrolled": .bool(state.unenrolled),
            "pending_acks": .number(Double(state.pendingAcks?.count ?? 0)), "collected_at": .string(RFC3339.string(from: now)),
        ]
        if let reason = state.rejectionReason { status["rejected_policy"] = .string(reason) }
        if let upgrade = state.upgrade, let value = try? JSONValue(encoding: upgrade.details) { status["upgrade"] = value }
        if let key = state.releaseKey.flatMap({ try? MinisignPublicKey(text: $0, source: "state") }) {
            status["release_key"] = .string(key.keyIdHex)
        }
        return status
    }

    /// Each certificate the agent uses towards Fleet Server, as `flotilla certs inspect` describes it.
    static func certificates(_ state: AgentState, now: Date) -> String {
        var sections: [String] = []
        for path in state.fleetTLS.certificateAuthorities + [state.fleetTLS.certificate].compactMap({ $0 }) {
            let text = (try? CertificateReport.describe(path, now: now)) ?? "cannot be read"
            sections.append("\(path)\n\(text)")
        }
        if let issued = state.issuedCredential {
            sections.append("""
                Issued by Fleet Server
                  subject:     \(issued.subject)
                  issuer:      \(issued.issuer)
                  sha256:      \(issued.fingerprint)
                  not after:   \(RFC3339.string(from: issued.notAfter))
                  renew after: \(RFC3339.string(from: issued.renewAfter))
                """)
        }
        return sections.isEmpty ? "No certificates configured.\n" : sections.joined(separator: "\n\n") + "\n"
    }

    static func json(_ value: JSONValue) -> Data {
        (try? value.jsonData()) ?? Data("null".utf8)
    }
}
