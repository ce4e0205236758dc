import FleetProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension DataPipeline {
    /// The running units as the check-in's `components`, Elastic Agent's shape: one component per input type and
    /// output, holding a unit for each input and one for the output.
    public func components() -> JSONValue {
        struct Group {
            var type: String
            var outputID: String
            var units: [JSONValue] = []
            var worst = UnitHealth(.healthy, "Healthy")
        }
        var groups: [String: Group] = [:]
        func add(type: String, outputID: String, unitID: String, unitType: String, health: UnitHealth) {
            let key = "\(Self.componentType(type))-\(outputID)"
            var group = groups[key] ?? Group(type: Self.componentType(type), outputID: outputID)
            group.units.append([
                "id": .string(unitType == "output" ? key : "\(key)-\(unitID)"), "type": .string(unitType),
                "status": .string(health.status.rawValue), "message": .string(health.message),
            ])
            if Self.rank(health.status) > Self.rank(group.worst.status) { group.worst = health }
            groups[key] = group
        }
        for running in inputs.values {
            add(type: running.input.type, outputID: running.outputID, unitID: running.input.id, unitType: "input", health: running.input.health.current)
        }
        for (id, problem) in problems {
            add(type: problem.type, outputID: problem.outputID, unitID: String(id.split(separator: ":").last ?? ""), unitType: id.hasPrefix("output:") ? "output" : "input", health: UnitHealth(.failed, problem.message))
        }
        for key in Array(groups.keys) {
            guard let group = groups[key], let worker = outputs[group.outputID]?.worker,
                  !group.units.contains(where: { $0["type"]?.stringValue == "output" }) else { continue }
            add(type: group.type, outputID: group.outputID, unitID: group.outputID, unitType: "output", health: worker.health.current)
        }
        return .array(groups.keys.sorted().compactMap { key in
            guard let group = groups[key] else { return nil }
            return [
                "id": .string(key), "type": .string(group.type), "status": .string(group.worst.status.rawValue),
                "message": .string(group.worst.message), "units": .array(group.units),
            ]
        })
    }

    /// The worst unit, to make the agent's check-in status and message: `nil` when all are healthy.
    public func worstUnit() -> (component: String, health: UnitHealth)? {
        var worst: (String, UnitHealth)?
        for component in components().arrayValue ?? [] {
            for unit in component["units"]?.arrayValue ?? [] {
                guard let status = unit["status"]?.stringValue.flatMap(UnitHealth.Status.init(rawValue:)),
                      Self.rank(status) >= Self.rank(.degraded) else { continue }
                if worst == nil || Self.rank(status) > Self.rank(worst!.1.status) {
                    let name = unit["type"]?.stringValue == "output" ? "output \(component["id"]?.stringValue.map { String($0.split(separator: "-").dropFirst().joined(separator: "-")) } ?? "")" : "input \(unit["id"]?.stringValue ?? "")"
                    worst = (name, UnitHealth(status, unit["message"]?.stringValue ?? ""))
                }
            }
        }
        return worst
    }

    /// The agent's figures, for its monitoring metrics and `flotilla status`.
    public func figures() async -> JSONValue {
        var perOutput: [String: JSONValue] = [:]
        for (id, running) in outputs {
            let queue = await running.worker.queue.figures
            perOutput[id] = [
                "events": ["delivered": .number(Double(running.worker.delivered.value)), "refused": .number(Double(running.worker.refused.value))],
                "failed_requests": .number(Double(running.worker.failedRequests.value)),
                "queue": ["events": .number(Double(queue.events)), "bytes": .number(Double(queue.bytes)), "max_bytes": .number(Double(queue.maximumBytes))],
                "status": .string(running.worker.health.current.status.rawValue),
            ]
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return [
            "outputs": .object(perOutput), "inputs": .number(Double(inputs.count)),
            "process": ["cpu": ["seconds": .number((cpu * 1000).rounded() / 1000)], "memory": ["rss": ["bytes": .number(Double(Self.residentBytes()))]]],
        ]
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func componentType(_ inputType: String) -> String {
        switch inputType {
        case "logfile", "filestream", "log": "filestream"
        case "system/metrics": "system-metrics"
        default: inputType.replacingOccurrences(of: "/", with: "-")
        }
    }

    static func rank(_ status: UnitHealth.Status) -> Int {
        switch status {
        case .healthy, .stopped: 0
        case .starting, .configuring, .stopping, .unknown: 1
        case .degraded: 2
        case .failed: 3
        }
    }
}
