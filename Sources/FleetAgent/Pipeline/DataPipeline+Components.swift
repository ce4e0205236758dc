import FleetProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension DataPipeline {
    /// Every unit now: the running inputs, the outputs that carry them, and what could not start.
    func units() -> [UnitReport] {
        var reports = inputs.values.map {
            UnitReport(kind: .input, id: $0.input.id, type: $0.input.type, outputID: $0.outputID, health: $0.input.health.current)
        }
        reports += problems
        // Each component has its output unit: the worker's health, unless the output itself failed to start.
        let types = Dictionary(grouping: reports, by: \.outputID).mapValues { Set($0.map(\.type)) }
        for (outputID, inputTypes) in types {
            guard let worker = outputs[outputID]?.worker else { continue }
            for type in inputTypes where !reports.contains(where: { $0.kind == .output && $0.outputID == outputID && $0.type == type }) {
                reports.append(UnitReport(kind: .output, id: outputID, type: type, outputID: outputID, health: worker.health.current))
            }
        }
        return reports
    }

    /// The running units as the check-in's `components`, Elastic Agent's shape: one component per input type and
    /// output, holding a unit for each input and one for the output.
    public func components() -> JSONValue {
        let groups = Dictionary(grouping: units(), by: \.componentID)
        return .array(groups.keys.sorted().compactMap { key in
            guard let units = groups[key], let first = units.first else { return nil }
            let worst = units.max { Self.rank($0.health.status) < Self.rank($1.health.status) }?.health ?? first.health
            return [
                "id": .string(key), "type": .string(Self.componentType(first.type)), "status": .string(worst.status.rawValue),
                "message": .string(worst.message),
                "units": .array(units.map { unit in
                    [
                        "id": .string(unit.kind == .output ? key : "\(key)-\(unit.id)"), "type": .string(unit.kind.rawValue),
                        "status": .string(unit.health.status.rawValue), "message": .string(unit.health.message),
                    ]
                }),
            ]
        })
    }

    /// The worst unit, to make the agent's check-in status and message ("output default", "input app"): `nil`
    /// while none is degraded or failed.
    public func worstUnit() -> (component: String, health: UnitHealth)? {
        let worst = units()
            .filter { Self.rank($0.health.status) >= Self.rank(.degraded) }
            .max { Self.rank($0.health.status) < Self.rank($1.health.status) }
        return worst.map { ("\($0.kind.rawValue) \($0.id)", $0.health) }
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
