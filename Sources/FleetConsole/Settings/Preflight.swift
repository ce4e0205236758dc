import FleetProtocol
import FleetStore
import FleetTLS
import Foundation
import X509

/// Works out, before a Fleet Server host is changed, which of the agents that use it would lose their connection,
/// from what the console knows: the policies that use the host, the client certificate each agent last presented
/// (the Fleet Server records it), the CAs agents were told to trust, and the new certificates and CAs.
struct Preflight {
    let store: any Store
    let composer: PolicyComposer
    let policies: [AgentPolicySettings]

    struct Finding: Sendable {
        var agentId: String
        var reason: String
    }

    struct Result: Sendable {
        var affected: Int
        var findings: [Finding]

        /// "N of M agents would lose their connection: <why>" — the first reason, and how many share it.
        var summary: String {
            guard let first = findings.first else { return "None of the \(affected) agents that use it would lose their connection" }
            let same = findings.filter { $0.reason == first.reason }.count
            let others = findings.count - same
            return "\(findings.count) of \(affected) agents would lose their connection: \(first.reason)"
                + (same > 1 ? " (\(same) agents)" : "") + (others > 0 ? "; and \(others) for other reasons" : "")
        }

        var json: JSONValue {
            [
                "affected_agents": .number(Double(affected)),
                "disconnected_agents": .number(Double(findings.count)),
                "summary": .string(summary),
                "agents": .array(findings.prefix(100).map { ["id": .string($0.agentId), "reason": .string($0.reason)] }),
            ]
        }
    }

    /// The effect of replacing `old` (nil when new) with `new`.
    func check(old: FleetServerHost?, new: FleetServerHost) async throws -> Result {
        // The policies on this host now, and those a new default takes over.
        let usingPolicies = Set(policies.filter { policy in
            composer.host(for: policy)?.id == new.id || (new.isDefault && policy.fleetServerHostId == nil)
        }.map(\.id))
        let agents = try await store.agents().filter { $0.unenrolledAt == nil && usingPolicies.contains($0.policyId) }
        var findings: [Finding] = []
        let newSSL = new.ssl, oldSSL = old?.ssl
        let clientAuth = newSSL?.clientAuth ?? "none"
        // What agents trust now: the CAs the host pushed so far. Unknown when it never pushed any.
        let trusted = (oldSSL?.agentCertificateAuthorities).flatMap { try? CertificateFiles.loadAuthorities($0, role: "CA") } ?? []
        var serverProblem: String?
        if let certificate = newSSL?.certificate, certificate != oldSSL?.certificate, !trusted.isEmpty,
           let chain = try? CertificateFiles.loadChain(certificate, role: "certificate") {
            for url in new.hostURLs {
                let host = URLComponents(string: url)?.host
                if case .rejected(let reason) = await PeerVerifier(peer: .server(host: host), authorities: trusted).verify(chain) {
                    serverProblem = "the CAs they trust now refuse the new Fleet Server certificate: \(reason)"
                    break
                }
            }
        }
        let clientCAs = (newSSL?.certificateAuthorities).flatMap { try? CertificateFiles.loadAuthorities($0, role: "CA") } ?? []
        for agent in agents {
            if let serverProblem {
                findings.append(Finding(agentId: agent.id, reason: serverProblem))
            } else if clientAuth == "required", agent.certificateFingerprint == nil {
                findings.append(Finding(agentId: agent.id, reason: "client_auth becomes required, and they presented no client certificate"))
            } else if clientAuth == "required", let issuer = agent.certificateIssuer, !clientCAs.isEmpty,
                      !clientCAs.contains(where: { $0.subject.description == issuer }) {
                findings.append(Finding(agentId: agent.id, reason: "their client certificates are issued by \(issuer), which is not among the new ssl.certificate_authorities"))
            }
        }
        return Result(affected: agents.count, findings: findings)
    }
}
