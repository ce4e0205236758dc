import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Each waiting agent holds one connection, and one connection is one open file: the open-files limit is the
/// fleet a Fleet Server process can hold. The soft limit (often 1,024) is raised to the hard one at start.
public struct OpenFilesLimit: Sendable, Equatable {
    /// The limit in force after raising it.
    public let soft: Int
    public let hard: Int
    /// Files kept for everything but agents: listeners, store connections, logs, certificates being read.
    public static let reserved = 64

    /// How many agents, each on its own connection, fit under the soft limit.
    public var agentCapacity: Int { max(0, soft - Self.reserved) }

    /// Raises the soft limit to the hard limit and returns what is in force; a failure leaves the limit as it was.
    public static func raise() -> OpenFilesLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return OpenFilesLimit(soft: 0, hard: 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return OpenFilesLimit(soft: Int(clamping: limit.rlim_cur), hard: Int(clamping: limit.rlim_max))
    }

    /// "open files: 20,000 (hard limit 20,000): room for about 19,936 agents", for the start line and status.
    public var described: String {
        let format = { (number: Int) in number.formatted(.number.grouping(.automatic)) }
        return "open files: \(format(soft)) (hard limit \(format(hard))): room for about \(format(agentCapacity)) agents"
    }
}
