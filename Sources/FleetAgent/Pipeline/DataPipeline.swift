import FleetProtocol
import FleetTLS
import Foundation
import Logging

/// The agent's data path: the inputs, outputs and queues a policy names, kept running between policy changes and
/// reconfigured by them. Inputs whose settings did not change keep running; changed ones restart from their
/// registry positions, so nothing is read twice that was delivered. A changed output is probed before it replaces
/// the working one.
public actor DataPipeline {
    /// Where queues, the registry and dead letters live (`<base-path>/data`).
    public nonisolated let directory: String
    let agentID: String
    let hostName: String
    let logger: Logger
    let registry: FileRegistry
    /// Log lines the agent itself writes, for the monitoring input.
    public nonisolated let logTap: AgentLogTap

    struct RunningInput {
        var input: any AgentInput
        var outputID: String
        var signature: String
        var task: Task<Void, Never>
    }
    struct RunningOutput {
        var worker: OutputWorker
        var task: Task<Void, Never>
        /// Removed from the policy: runs until its queue is empty.
        var draining = false
    }
    var inputs: [String: RunningInput] = [:]
    var outputs: [String: RunningOutput] = [:]
    /// Units that could not start, with why: shown in the check-in's components.
    var problems: [UnitReport] = []
    private var ticker: Task<Void, Never>?
    private var ticks = 0

    public init(directory: String, agentID: String, logTap: AgentLogTap = AgentLogTap(), logger: Logger) throws(FlotillaError) {
        self.directory = directory
        self.agentID = agentID
        self.hostName = ProcessInfo.processInfo.hostName
        self.logger = logger
        self.logTap = logTap
        self.registry = try FileRegistry(path: "\(directory)/registry.json")
    }

    /// Starts, stops and reconfigures inputs and outputs to match `policy`. Problems are not thrown: each lands in
    /// its unit's health, and the rest of the policy runs.
    /// - Parameter hostPassphrasePath: the passphrase file of this host's own encrypted key, used for an output key
    ///   pushed without one (the passphrase is the host's secret, which no console knows), as for Fleet's TLS.
    public func apply(_ policy: JSONValue, hostPassphrasePath: String? = nil) async {
        startTicker()
        problems.removeAll()
        let policyTags = policy["agent"]?["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        // Outputs first, so inputs find their queues.
        var wanted = Set<String>()
        for (id, section) in (policy["outputs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            do {
                var settings = try OutputSettings(id: id, policy: section)
                if settings.tls.key != nil, settings.tls.keyPassphrasePath == nil { settings.tls.keyPassphrasePath = hostPassphrasePath }
                wanted.insert(id)
                try await setOutput(settings)
            } catch {
                let type = section["type"]?.stringValue ?? "output"
                problems.append(UnitReport(kind: .output, id: id, type: type, outputID: id, health: UnitHealth(.failed, error.description)))
                if outputs[id] != nil { wanted.insert(id) }
            }
        }
        for (id, running) in outputs where !wanted.contains(id) && !running.draining {
            outputs[id]?.draining = true
            logger.info("Output \(id) left the policy; it stops once its queue is delivered")
        }

        var seen = Set<String>()
        for (position, input) in (policy["inputs"]?.arrayValue ?? []).enumerated() {
            let type = input["type"]?.stringValue ?? ""
            guard type != "fleet-server" else { continue }
            let outputID = input["use_output"]?.stringValue ?? "default"
            let field = "inputs[\(position)]"
            do {
                for built in try await makeInputs(input, type: type, field: field, outputID: outputID, policyTags: policyTags) {
                    seen.insert(built.input.id)
                    await run(built.input, outputID: outputID, signature: built.signature)
                }
            } catch {
                let id = input["id"]?.stringValue ?? field
                problems.append(UnitReport(kind: .input, id: id, type: type, outputID: outputID, health: UnitHealth(.failed, error.description)))
            }
        }
        if let monitoring = policy["agent"]?["monitoring"], monitoring["enabled"]?.boolValue == true {
            let outputID = monitoring["use_output"]?.stringValue ?? "default"
            if let queue = outputs[outputID]?.worker.queue {
                let settings = MonitoringInput.Settings(
                    logs: monitoring["logs"]?.boolValue ?? true, metrics: monitoring["metrics"]?.boolValue ?? true,
                    namespace: monitoring["namespace"]?.stringValue ?? "default",
                    period: OutputSettings.clamp(OutputSettings.seconds(monitoring["period"]) ?? 60, 1, 86_400)
                )
                let input = MonitoringInput(settings: settings, context: context(queue), pipeline: self, tap: logTap)
                seen.insert(input.id)
                await run(input, outputID: outputID, signature: "\(settings)")
            } else {
                let reason = "The monitoring output \(outputID) is not among the policy's outputs"
                problems.append(UnitReport(kind: .input, id: "monitoring", type: "monitoring", outputID: outputID, health: UnitHealth(.failed, reason)))
            }
        }
        for (id, running) in inputs where !seen.contains(id) {
            running.task.cancel()
            await running.task.value
            inputs[id] = nil
            logger.info("Input \(id) left the policy and stopped")
        }
    }

    /// Stops every input, then the outputs, saving the registry last.
    public func stop() async {
        ticker?.cancel()
        for running in inputs.values { running.task.cancel() }
        // Closing the queues first frees inputs that wait for room in a full one.
        for running in outputs.values {
            running.task.cancel()
            await running.worker.queue.close()
        }
        for running in inputs.values { await running.task.value }
        inputs.removeAll()
        for running in outputs.values {
            await running.task.value
            await running.worker.queue.sync()
        }
        outputs.removeAll()
        try? registry.save()
    }

    // MARK: - Outputs

    func setOutput(_ settings: OutputSettings) async throws(FlotillaError) {
        if let running = outputs[settings.id] {
            outputs[settings.id]?.draining = false
            guard running.worker.settings != settings else { return }
            let replacement = try Self.makeOutput(settings)
            do {
                try await replacement.probe()
            } catch {
                replacement.close()
                let reason = "The new settings of output \(settings.id) were not applied, the previous ones still deliver: \(error.description)"
                logger.warning("\(reason)")
                running.worker.keep(because: reason)
                return
            }
            running.worker.replace(with: replacement, settings: settings)
            running.worker.keep(because: nil)
            logger.info("Output \(settings.id) now uses its new settings")
            return
        }
        let output = try Self.makeOutput(settings)
        let queue = try DiskQueue(directory: "\(directory)/queue/\(Self.safeName(settings.id))", maximumBytes: settings.queueMaximumBytes, logger: logger)
        if queue.damaged {
            logger.warning("The queue of output \(settings.id) was damaged; its inputs read again from their last delivered positions")
        }
        let worker = OutputWorker(
            output: output, settings: settings, queue: queue, registry: registry,
            deadLetters: DeadLetterFile(path: "\(directory)/dead-letter/\(Self.safeName(settings.id)).ndjson"), logger: logger
        )
        outputs[settings.id] = RunningOutput(worker: worker, task: Task { await worker.run() })
    }

    static func makeOutput(_ settings: OutputSettings) throws(FlotillaError) -> any AgentOutput {
        switch settings.type {
        case "file": FileOutput(settings: settings)
        default: try ElasticsearchOutput(settings: settings)
        }
    }

    /// A directory name for an output id, one-to-one: other characters are written as `%XX`.
    static func safeName(_ id: String) -> String {
        id.utf8.map { byte in
            let character = Character(UnicodeScalar(byte))
            return byte < 128 && (character.isLetter || character.isNumber || character == "-" || character == "_")
                ? String(character) : String(format: "%%%02X", byte)
        }.joined()
    }

    // MARK: - Inputs

    func context(_ queue: DiskQueue) -> InputContext {
        InputContext(agentID: agentID, agentVersion: AgentMetadata.version, hostName: hostName, queue: queue, registry: registry, logger: logger)
    }

    func makeInputs(_ input: JSONValue, type: String, field: String, outputID: String, policyTags: [String]) async throws(FlotillaError) -> [(input: any AgentInput, signature: String)] {
        guard let queue = outputs[outputID]?.worker.queue else {
            throw FlotillaError("The input at \(field) sends to output \(outputID), which the policy does not define", hint: "set use_output to one of the policy's outputs")
        }
        switch type {
        case "logfile", "filestream", "log":
            return try LogfileSettings.streams(of: input, field: field, policyTags: policyTags).map { settings in
                (LogfileInput(settings: settings, context: context(queue), queued: queue.resumeOffsets), "\(settings)")
            }
        case "system/metrics":
            let streams = try SystemMetricsInput.streams(of: input, field: field)
            let id = input["id"]?.stringValue ?? field
            let tags = policyTags + (input["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            return [(SystemMetricsInput(id: id, streams: streams, tags: tags, context: context(queue)), "\(streams)\(tags)")]
        default:
            throw FlotillaError("This agent does not run \(type.isEmpty ? "untyped" : type) inputs (\(field))", hint: "use logfile or system/metrics")
        }
    }

    func run(_ input: any AgentInput, outputID: String, signature: String) async {
        let signature = "\(outputID)|\(signature)"
        if let running = inputs[input.id] {
            guard running.signature != signature else { return }
            running.task.cancel()
            await running.task.value
            logger.info("Input \(input.id) restarts with its new settings")
        }
        inputs[input.id] = RunningInput(input: input, outputID: outputID, signature: signature, task: Task { await input.run() })
    }

    // MARK: - Upkeep

    /// Once a second: the registry and queues to disk, drained outputs stopped.
    func startTicker() {
        guard ticker == nil else { return }
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await self?.tick()
            }
        }
    }

    func tick() async {
        ticks += 1
        // Files gone for a week no longer need a position (rotated logs long deleted).
        if ticks % 3600 == 0 { registry.forget(olderThan: 7 * 86_400, except: []) }
        do { try registry.save() } catch { logger.error("\(error.description)") }
        for (id, running) in outputs {
            await running.worker.queue.sync()
            guard running.draining, await running.worker.queue.figures.events == 0 else { continue }
            // An apply during the awaits may have taken the output back.
            guard outputs[id]?.draining == true, outputs[id]?.worker === running.worker else { continue }
            running.task.cancel()
            await running.worker.queue.close()
            outputs[id] = nil
            logger.info("Output \(id) delivered its queue and stopped")
        }
    }
}
