import Foundation

/// What the simulator measured for one fleet size; written as JSON (`--json`) and drawn by plot-fleet.py.
struct FleetSizeResult: Codable {
    struct SteadyState: Codable {
        var keepAlive: Bool
        var pollTimeoutSeconds: Double
        var windowSeconds: Double
        var checkins: Int
        var serverCPUSeconds: Double
        var microsecondsPerCheckin: Double
    }

    struct Restart: Codable {
        /// From kill -9 until every agent waited on the new process again.
        var secondsUntilAllBack: Double?
        var steadyRSSMiB: Double
        var peakRSSMiB: Double
        /// Answers that told agents to come back later, and API keys refused (an agent that would re-enroll).
        var paced: Int
        var refusedKeys: Int
    }

    var agents: Int
    var servers: Int
    var store: String
    var enrollmentsPerSecond: Double
    var idleRSSMiB: Double
    var waitingRSSMiB: Double
    var kibPerWaitingAgent: Double
    /// Server CPU while every check-in waited, over `idleWindowSeconds`.
    var waitingCPUSeconds: Double
    var idleWindowSeconds: Double
    /// One policy change until every agent ran it, as the agents saw it; the server's own p99 from /metrics.
    var fanOutSeconds: Double?
    var fanOutServerP99Seconds: Double?
    var fanOutCPUMicrosecondsPerAgent: Double
    var steadyState: [SteadyState] = []
    var restart: Restart?
    var failures: [String: Int]
    var date: String
    var machine: String
}
