import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads the host's figures from `/proc` and `statvfs`, in Metricbeat's field names under `system.*`. CPU
/// percentages come from the difference between two samples, so the first CPU sample of a run is skipped.
struct ProcSampler {
    private var lastCPU: [UInt64]?
    let root: String

    init(root: String = "/proc") {
        self.root = root
    }

    static let metricsets = ["cpu", "memory", "load", "network", "filesystem"]

    /// The samples of one metricset: several for `network` (one per interface) and `filesystem` (one per mount).
    mutating func sample(_ metricset: String) -> [[String: Any]] {
        switch metricset {
        case "cpu": cpu().map { [["cpu": $0]] } ?? []
        case "memory": memory().map { [["memory": $0]] } ?? []
        case "load": load().map { [["load": $0]] } ?? []
        case "network": network().map { ["network": $0] }
        case "filesystem": filesystem().map { ["filesystem": $0] }
        default: []
        }
    }

    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    mutating func cpu() -> [String: Any]? {
        guard let line = read("stat")?.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 8 else { return nil }
        defer { lastCPU = values }
        guard let last = lastCPU else { return nil }
        let delta = zip(values, last).map { $0 > $1 ? Double($0 - $1) : 0 }
        let total = delta.prefix(8).reduce(0, +)
        guard total > 0 else { return nil }
        let cores = Double(Self.cores)
        func pct(_ value: Double) -> Double { (value / total * cores * 10_000).rounded() / 10_000 }
        let busy = total - delta[3] - delta[4]
        return [
            "cores": Self.cores,
            "user": ["pct": pct(delta[0])], "nice": ["pct": pct(delta[1])], "system": ["pct": pct(delta[2])],
            "idle": ["pct": pct(delta[3])], "iowait": ["pct": pct(delta[4])], "irq": ["pct": pct(delta[5])],
            "softirq": ["pct": pct(delta[6])], "steal": ["pct": pct(delta[7])],
            "total": ["pct": pct(busy), "norm": ["pct": (busy / total * 10_000).rounded() / 10_000]],
        ]
    }

    func memory() -> [String: Any]? {
        guard let text = read("meminfo") else { return nil }
        var kib: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = UInt64(parts[1]) { kib[String(parts[0])] = value * 1024 }
        }
        guard let total = kib["MemTotal"], total > 0, let free = kib["MemFree"] else { return nil }
        let available = kib["MemAvailable"] ?? free
        let swapTotal = kib["SwapTotal"] ?? 0
        let swapFree = kib["SwapFree"] ?? 0
        // Saturating: some sources (lxcfs, say) report figures that do not add up.
        func minus(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : 0 }
        func ratio(_ part: UInt64, _ whole: UInt64) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000 }
        return [
            "total": total, "free": free,
            "used": ["bytes": minus(total, free), "pct": ratio(minus(total, free), total)],
            "actual": ["free": available, "used": ["bytes": minus(total, available), "pct": ratio(minus(total, available), total)]],
            "swap": ["total": swapTotal, "free": swapFree, "used": ["bytes": minus(swapTotal, swapFree), "pct": ratio(minus(swapTotal, swapFree), swapTotal)]],
        ]
    }

    func load() -> [String: Any]? {
        guard let values = read("loadavg")?.split(separator: " ").prefix(3).compactMap({ Double($0) }), values.count == 3 else { return nil }
        let cores = Double(Self.cores)
        return [
            "1": values[0], "5": values[1], "15": values[2], "cores": Self.cores,
            "norm": ["1": values[0] / cores, "5": values[1] / cores, "15": values[2] / cores],
        ]
    }

    func network() -> [[String: Any]] {
        guard let text = read("net/dev") else { return [] }
        return text.split(separator: "\n").dropFirst(2).compactMap { line in
            let halves = line.split(separator: ":", maxSplits: 1)
            guard halves.count == 2 else { return nil }
            let values = halves[1].split(separator: " ").compactMap { UInt64($0) }
            guard values.count >= 16 else { return nil }
            return [
                "name": halves[0].trimmingCharacters(in: .whitespaces),
                "in": ["bytes": values[0], "packets": values[1], "errors": values[2], "dropped": values[3]],
                "out": ["bytes": values[8], "packets": values[9], "errors": values[10], "dropped": values[11]],
            ]
        }
    }

    /// Mounted file systems that hold files (not proc, sysfs, cgroups and the like).
    func filesystem() -> [[String: Any]] {
        guard let text = read("mounts") else { return [] }
        let pseudo: Set<String> = [
            "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "pstore",
            "bpf", "configfs", "fusectl", "hugetlbfs", "autofs", "binfmt_misc", "nsfs", "rpc_pipefs", "devtmpfs",
        ]
        var seen = Set<String>()
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { return nil }
            let device = String(fields[0]), mount = String(fields[1]), type = String(fields[2])
            guard !pseudo.contains(type), seen.insert(mount).inserted else { return nil }
            var figures = statvfs()
            guard statvfs(mount, &figures) == 0, figures.f_blocks > 0 else { return nil }
            let block = UInt64(figures.f_frsize)
            let product = UInt64(figures.f_blocks).multipliedReportingOverflow(by: block)
            guard !product.overflow else { return nil }
            let total = product.partialValue
            let free = min(UInt64(figures.f_bfree).multipliedReportingOverflow(by: block).partialValue, total)
            let available = min(UInt64(figures.f_bavail).multipliedReportingOverflow(by: block).partialValue, free)
            return [
                "device_name": device, "mount_point": mount, "type": type,
                "total": total, "free": free, "available": available, "files": UInt64(figures.f_files),
                "used": ["bytes": total - free, "pct": total == 0 ? 0 : (Double(total - free) / Double(total) * 10_000).rounded() / 10_000],
            ]
        }
    }

    private func read(_ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "\(root)/\(name)") else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
