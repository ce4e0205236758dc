import Foundation

/// Resident memory and CPU seconds of a process, from /proc.
struct Usage {
    var rssBytes: Int
    var cpuSeconds: Double

    init(rssBytes: Int, cpuSeconds: Double) {
        self.rssBytes = rssBytes
        self.cpuSeconds = cpuSeconds
    }

    init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rssLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        rssBytes = (Int(rssLine.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat.split(separator: ")").last!.split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        cpuSeconds = (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks
    }

    static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(rssBytes: lhs.rssBytes + rhs.rssBytes, cpuSeconds: lhs.cpuSeconds + rhs.cpuSeconds)
    }
}
