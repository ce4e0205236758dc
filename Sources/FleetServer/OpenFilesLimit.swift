import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Each waiting agent holds one connection, and one connection is one open file: the open-files limit is the
/// fleet a Fleet Server process can hold. The soft limit (often 1,024) is raised to the hard one at start.
public struct OpenFilesLimit: Sendable, Equatable {
    /// The limit in force after raising it.
    public let soft: Int
    /// The most the soft limit may be raised to without privileges.
    public let hard: Int
    /// Files kept for everything but agents: listeners, store connections, logs, certificates being read.
    public static let reserved = 64

    /// How many agents, each on its own connection, fit under the soft limit.
    public var agentCapacity: Int { max(0, soft - Self.reserved) }

    /// Raises the soft limit to the hard limit and returns what is in force; nil where the limit cannot be read.
    /// A failure to raise it leaves the limit as it was.
    public static func raise() -> OpenFilesLimit? {
        #if os(Linux)
        var limit = rlimit()
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return nil }
        // An unlimited hard limit is not a number setrlimit takes for open files: stay below the kernel's ceiling.
        let ceiling = rlim_t((try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1_048_576)
        let wanted = min(limit.rlim_max, ceiling)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return OpenFilesLimit(soft: Int(clamping: limit.rlim_cur), hard: Int(clamping: min(limit.rlim_max, ceiling)))
        #else
        return nil
        #endif
    }

    /// "open files: 20,000 (hard limit 20,000): room for about 19,936 agents", for the start line.
    public var described: String {
        let format = { (number: Int) in number.formatted(.number.grouping(.automatic)) }
        return "open files: \(format(soft)) (hard limit \(format(hard))): room for about \(format(agentCapacity)) agents"
    }
}
