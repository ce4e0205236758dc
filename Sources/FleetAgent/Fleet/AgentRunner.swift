import FleetProtocol
import FleetTLS
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The agent's check-in loop: long-poll Fleet Server, apply what it sends, acknowledge everything.
public final class AgentRunner: Sendable {
    let vault: AgentVault
    let logger: Logger
    /// How long a check-in may wait on the server, announced to it as `poll_timeout`.
    let pollTimeout: Double
    /// The connection of the last check-in, kept so that its TLS connection stays alive for the next one; made
    /// anew when the state points elsewhere.
    private let connectionCache = NIOLockedValueBox<FleetConnectionCache?>(nil)

    /// The inputs, queues and outputs the policy names; `nil` runs the control path only.
    public let pipeline: DataPipeline?
    /// Renews the issued client certificate beside the check-ins.
    public let renewal: CertificateRenewal
    /// Downloads, checks and swaps in the binaries UPGRADE actions name.
    let upgrader: AgentUpgrader
    /// Set when an upgrade installed a new binary: the loop stops so the program can restart into it.
    let restart = NIOLockedValueBox<UpgradeProgress?>(nil)
    /// The upgrade running beside the check-ins, and its download (for the progress check-ins report).
    let upgradeWork = NIOLockedValueBox<UpgradeWork?>(nil)
    /// The long poll under way, so that work beside it (an upgrade) can cut it short to report at once.
    let pollControl = NIOLockedValueBox(PollControl())

    public init(
        vault: AgentVault, logger: Logger, pollTimeout: Double = 300, pipeline: DataPipeline? = nil,
        upgrader: AgentUpgrader? = nil
    ) {
        self.vault = vault
        self.logger = logger
        self.pollTimeout = pollTimeout
        self.pipeline = pipeline
        self.renewal = CertificateRenewal(vault: vault, logger: logger)
        self.upgrader = upgrader ?? AgentUpgrader(logger: logger)
    }

    /// The upgrade whose new binary `run` stopped for, to restart into; nil when it stopped for another reason.
    public var restartRequested: UpgradeProgress? { restart.withLockedValue { $0 } }

    /// The connection for `state`, reused while the Fleet host, its TLS (the certificate presented included) and the
    /// options stay the same: a renewed certificate is presented from the next connection on.
    func connection(for state: AgentState) throws(FlotillaError) -> FleetConnection {
        let key = FleetConnectionCache.Key(url: state.fleetHosts[0], tls: state.presenting(state.fleetTLS), options: state.connection)
        if let cached = connectionCache.withLockedValue({ $0 }), cached.key == key { return cached.connection }
        let connection = try state.fleetConnection()
        connectionCache.withLockedValue { $0 = FleetConnectionCache(key: key, connection: connection) }
        return connection
    }

    public enum Outcome: Sendable, Equatable {
        case keepRunning
        case unenrolled
        /// A new binary is in place: stop, and restart into it.
        case restart
    }

    /// One check-in and the handling of its actions. Persists before acknowledging, so a crash never loses an
    /// action the server believes applied.
    public func checkinOnce() async throws(FlotillaError) -> Outcome {
        var state = try vault.loadEnrolled()
        guard !state.unenrolled || state.pendingAcks?.isEmpty == false else { return .unenrolled }
        let connection = try connection(for: state)
        if let pending = state.pendingAcks, !pending.isEmpty {
            try await acknowledge(pending, state: state, over: connection)
            state.pendingAcks = nil
            try vault.save(state)
        }
        if state.unenrolled { return try finishUnenrolling(&state) }
        resumeUpgrade(&state)
        try await settleUpgrade(&state, over: connection)
        // A refused revision counts as seen, so it is not sent again; the agent says why it is degraded.
        let seenRevision = max(state.policyRevision, state.rejectedPolicyRevision ?? 0)
        // The agent is degraded by a refused policy first, then by its worst unit ("output default: ...").
        let worst = await pipeline?.worstUnit()
        let renewalFailure = renewal.failure
        let message = state.rejectionReason ?? renewalFailure ?? worst.map { "\($0.component): \($0.health.message)" } ?? "Running"
        let healthy = state.rejectionReason == nil && renewalFailure == nil && worst == nil
        let request = CheckinRequest(
            status: healthy ? CheckinStatus.online.rawValue : CheckinStatus.degraded.rawValue,
            message: message, ackToken: state.ackToken,
            localMetadata: AgentMetadata.local(), components: await pipeline?.components(), pollTimeout: formatGoDuration(pollTimeout),
            upgradeDetails: state.upgrade.flatMap(reported), agentPolicyID: state.policyId, policyRevisionIdx: Int64(seenRevision)
        )
        let body = try? JSONEncoder().encode(request)
        let authorization = "ApiKey \(state.accessAPIKey)"
        let path = "/api/fleet/agents/\(state.agentId)/checkin"
        let reported = worst.map { "\($0.component) \($0.health.status)" }
        let timeout = pollTimeout + 60
        let poll: @Sendable () async throws(FlotillaError) -> FleetConnection.Answer = {
            try await connection.send("POST", path, body: body, authorization: authorization, timeout: timeout)
        }
        guard let answer = try await pollUnlessHealthChanges(from: reported, poll) else {
            // A unit changed state while the poll waited: check in again at once, so Fleet hears it now.
            return .keepRunning
        }
        switch answer.status {
        case 200: break
        case 401: throw FlotillaError("Fleet Server refused this agent's API key: \(answer.message)", hint: "the agent keeps its state and retries; enroll again with --force if it was revoked")
        case 403 where answer.message.contains("needs a client certificate"):
            // A Fleet Server that now issues certificates: ask for one at once.
            renewal.renewNow()
            throw FlotillaError("The check-in failed (403): \(answer.message)", hint: "the agent asks for a certificate and retries")
        default:
            if let seconds = RetryAfter.seconds(status: answer.status, headers: answer.headers) {
                throw FlotillaError(
                    "Fleet Server is busy (\(answer.status)) and asked this agent to check in again in \(Int(seconds)) s",
                    hint: answer.message, retryAfterSeconds: seconds
                )
            }
            throw FlotillaError("The check-in failed (\(answer.status)): \(answer.message)", hint: "the agent retries with backoff")
        }
        guard let response = try? JSONDecoder().decode(CheckinResponse.self, from: answer.body) else {
            throw FlotillaError("Fleet Server answered the check-in with something this agent cannot read", hint: "check that the URL points at a Fleet Server")
        }
        // This check-in reported the upgrade's outcome, acknowledged before it: the state can forget it.
        if let done = state.upgrade, done.acknowledged == true {
            try vault.update { stored in
                if stored.upgrade?.actionId == done.actionId, stored.upgrade?.acknowledged == true { stored.upgrade = nil }
            }
        }
        var events: [AckEvent] = []
        var outcome = Outcome.keepRunning
        for action in response.actions ?? [] {
            var error: String?
            switch action.actionType {
            case .upgrade:
                error = startUpgrade(action, state: &state, connection: connection)
                // Under way beside the check-ins: its outcome is acknowledged when it is known.
                if error == nil { continue }
            case .policyChange:
                error = await apply(action, to: &state)
            case .unenroll:
                outcome = .unenrolled
            case .policyReassign:
                // Nothing to do yet: the new policy follows as a POLICY_CHANGE on the next check-in.
                break
            case .requestDiagnostics:
                do {
                    let uploadId = try await uploadDiagnostics(action, state: state, connection: connection)
                    events.append(AckEvent(
                        agentID: state.agentId, actionID: action.id, message: "Uploaded diagnostics",
                        timestamp: RFC3339.string(from: Date()), data: ["upload_id": .string(uploadId)]
                    ))
                } catch {
                    logger.error("Diagnostics (\(action.id)) failed: \(error.description)")
                    events.append(AckEvent(
                        agentID: state.agentId, actionID: action.id, message: "Failed", timestamp: RFC3339.string(from: Date()),
                        error: error.description
                    ))
                }
                continue
            case .certificateRenew:
                // Beside the check-ins, at once; the Fleet Server paces a whole fleet renewing (429, Retry-After).
                renewal.renewNow()
            default:
                error = "This agent does not support \(action.type) actions"
            }
            events.append(AckEvent(
                agentID: state.agentId, actionID: action.id, message: error == nil ? "Applied" : "Failed",
                timestamp: RFC3339.string(from: Date()), error: error
            ))
        }
        if let token = response.ackToken { state.ackToken = token }
        // The new ack token skips these actions for good, so their acknowledgements (and an unenrollment, whose
        // acknowledgement is what revokes the key) are saved with it.
        if !events.isEmpty { state.pendingAcks = events }
        if outcome == .unenrolled { state.unenrolled = true }
        try vault.save(state)
        if !events.isEmpty {
            try await acknowledge(events, state: state, over: connection)
            state.pendingAcks = nil
            try vault.save(state)
        }
        if outcome == .unenrolled { return try finishUnenrolling(&state) }
        return restartRequested == nil ? outcome : .restart
    }

    /// Clears the key of an agent whose unenrollment Fleet Server has acknowledged.
    func finishUnenrolling(_ state: inout AgentState) throws(FlotillaError) -> Outcome {
        guard !state.accessAPIKey.isEmpty else { return .unenrolled }
        state.accessAPIKey = ""
        try vault.save(state)
        logger.info("Unenrolled by Fleet Server; the agent stops and its key is cleared")
        return .unenrolled
    }

    /// Sends acknowledgements. A 200, or a refusal that sending again cannot change (a 4xx other than 408 and 429:
    /// a body too large, one the server cannot read), ends them; anything else throws and they stay pending.
    /// Results are upserts on Fleet Server, so sending one twice is harmless.
    func acknowledge(_ events: [AckEvent], state: AgentState, over connection: FleetConnection) async throws(FlotillaError) {
        let ack = try await connection.send(
            "POST", "/api/fleet/agents/\(state.agentId)/acks", body: try? JSONEncoder().encode(AckRequest(events: events)),
            authorization: "ApiKey \(state.accessAPIKey)"
        )
        switch ack.status {
        case 200:
            return
        case 400..<500 where ![401, 408, 429].contains(ack.status):
            logger.error("Fleet Server refused \(events.count) acknowledgements for good (\(ack.status)): \(ack.message); they are dropped")
        default:
            throw FlotillaError(
                "Fleet Server refused the acknowledgements (\(ack.status)): \(ack.message)", hint: "they are kept and sent again first"
            )
        }
    }

    /// Runs the long poll `send`, but cuts it short (returning `nil`) when the worst unit's state differs from
    /// `reported` for more than a moment: an output that fails is reported within seconds, not at the end of a
    /// five-minute poll. Only states count, not their changing messages, so an outage costs one extra check-in.
    /// It is also cut short by `interruptPoll()`.
    func pollUnlessHealthChanges(
        from reported: String?, _ send: @escaping @Sendable () async throws(FlotillaError) -> FleetConnection.Answer
    ) async throws(FlotillaError) -> FleetConnection.Answer? {
        // Asked to cut short between two polls: this one is not sent.
        let cutBefore = pollControl.withLockedValue { control in
            defer { control.interrupted = false }
            return control.interrupted
        }
        if cutBefore { return nil }
        let poll = Task { () async throws -> FleetConnection.Answer in try await send() }
        pollControl.withLockedValue { control in
            control.task = poll
            if control.interrupted { poll.cancel() }  // asked in between
        }
        defer { pollControl.withLockedValue { $0 = PollControl() } }
        let changed = NIOLockedValueBox(false)
        let watcher = Task {
            guard let pipeline else { return }
            var since: ContinuousClock.Instant?
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                let now = await pipeline.worstUnit().map { "\($0.component) \($0.health.status)" }
                guard now != reported else { since = nil; continue }
                // A state held for a few seconds, not a flicker.
                if let since, ContinuousClock.now - since >= .seconds(4) {
                    changed.withLockedValue { $0 = true }
                    poll.cancel()
                    return
                }
                since = since ?? .now
            }
        }
        defer { watcher.cancel() }
        let result = await withTaskCancellationHandler { await poll.result } onCancel: { poll.cancel() }
        if changed.withLockedValue({ $0 }) || pollControl.withLockedValue({ $0.interrupted }) { return nil }
        switch result {
        case .success(let answer): return answer
        case .failure(let error as FlotillaError): throw error
        case .failure(let error): throw FlotillaError("The check-in failed: \(error)", hint: "the agent retries with backoff")
        }
    }

    /// Applies a POLICY_CHANGE. A policy that moves Fleet hosts, TLS or proxy is tried first with `GET /api/status` over the
    /// new settings; if that fails the old settings stay and the failure goes into the ack.
    func apply(_ action: Action, to state: inout AgentState) async -> String? {
        guard let policy = action.policy, let revision = policy["revision"]?.intValue else {
            return "The POLICY_CHANGE action carries no policy"
        }
        var hosts = state.fleetHosts
        if let listed = policy["fleet"]?["hosts"]?.arrayValue?.compactMap(\.stringValue), !listed.isEmpty { hosts = listed }
        var tls = state.fleetTLS
        if let ssl = policy["fleet"]?["ssl"], ssl.objectValue?.isEmpty == false {
            guard let pushed = try? ssl.decode(TLSSettings.self) else { return "The policy's fleet.ssl settings are not valid" }
            tls = Self.merge(pushed, into: tls)
        }
        // The Fleet Server in this process is dialled on loopback only while the agent stays with it.
        var options = state.connection
        if hosts != state.fleetHosts { options.localFleetServerPort = nil }
        // A policy without a Fleet proxy puts the install's choice back: a proxy set through a policy can be removed.
        do { options.policyProxy = try ProxySettings(section: policy["fleet"], field: "fleet") } catch {
            let reason = "Policy revision \(revision) was not applied: \(error)"
            logger.warning("\(reason)")
            state.rejectedPolicyRevision = revision
            state.rejectionReason = reason
            return reason
        }
        if hosts != state.fleetHosts || tls != state.fleetTLS || options != state.connection {
            do {
                let trial = try FleetConnection(url: hosts[0], tls: state.presenting(tls), options: options)
                let status = try await trial.send("GET", "/api/status", timeout: 15)
                guard status.status == 200 else { throw FlotillaError("\(hosts[0]) answered /api/status with \(status.status)") }
            } catch {
                let reason = "Policy revision \(revision) was not applied: its Fleet settings do not work, so the agent keeps its previous ones: \(error)"
                logger.warning("\(reason)")
                state.rejectedPolicyRevision = revision
                state.rejectionReason = reason
                return reason
            }
            state.fleetHosts = hosts
            state.fleetTLS = tls
            state.connection = options
        }
        state.policy = policy
        state.policyRevision = revision
        // A reassigned agent learns its new policy here.
        if let id = policy["id"]?.stringValue { state.policyId = id }
        state.rejectedPolicyRevision = nil
        state.rejectionReason = nil
        await pipeline?.apply(policy, hostPassphrasePath: state.fleetTLS.keyPassphrasePath)
        logger.info("Applied policy", metadata: ["policy": "\(state.policyId)", "revision": "\(revision)"])
        return nil
    }

    /// Pushed TLS settings replace what they set; the agent's own certificate and key stay unless replaced.
    /// A pushed key without a passphrase file keeps the agent's own: the passphrase is this host's secret, which
    /// no console knows.
    static func merge(_ pushed: TLSSettings, into current: TLSSettings) -> TLSSettings {
        var merged = pushed
        if pushed.certificate == nil, pushed.key == nil {
            merged.certificate = current.certificate
            merged.key = current.key
        }
        if merged.keyPassphrasePath == nil { merged.keyPassphrasePath = current.keyPassphrasePath }
        return merged
    }

    /// Checks in until unenrolled or cancelled. Errors back off from one second up to ten minutes, with jitter so a
    /// fleet does not retry in step; state is never deleted because of an error.
    public func run() async {
        // Inputs resume at once from the last applied policy, before Fleet Server answers.
        if let pipeline, let state = try? vault.loadEnrolled(), let policy = state.policy {
            await pipeline.apply(policy, hostPassphrasePath: state.fleetTLS.keyPassphrasePath)
        }
        // An agent that was off until its issued certificate expired renews first (with its API key alone), so its
        // first check-in already presents a certificate.
        if let state = try? vault.loadEnrolled(), let credential = state.issuedCredential, !credential.isValid() {
            _ = await renewal.renewOnce(state)
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.renewal.run() }
            await checkInUntilStopped()
            group.cancelAll()
        }
        await pipeline?.stop()
    }

    func checkInUntilStopped() async {
        var backoff = Backoff()
        while !Task.isCancelled, restartRequested == nil {
            do {
                let outcome = try await checkinOnce()
                if outcome == .unenrolled || outcome == .restart { return }
                backoff.reset()
            } catch {
                if Task.isCancelled { return }  // stopping: the failure is the stop itself
                // A Fleet Server that refuses the issued certificate (its CA retired while this agent was away) is
                // asked for a new one at once.
                if HandshakeDiagnosis.refusedOwnCertificate(error), (try? vault.loadEnrolled())?.issuedCredential != nil {
                    renewal.renewNow()
                }
                // A Fleet Server pacing its fleet says when to come back; the backoff is for failures.
                let delay = error.retryAfterSeconds.map(RetryAfter.delay) ?? backoff.next()
                logger.warning("\(error.description); retrying in \(Int(delay)) s")
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }
}
