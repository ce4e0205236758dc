import FleetProtocol
import Foundation

/// What the agent tells Fleet Server about its host.
enum AgentMetadata {
    static let version = FlotillaVersion.current

    static func local() -> JSONValue {
        let info = ProcessInfo.processInfo
        return [
            "elastic": ["agent": ["id": "", "version": .string(version), "snapshot": false]],
            "host": ["hostname": .string(info.hostName), "architecture": .string(architecture)],
            "os": ["family": "linux", "version": .string(info.operatingSystemVersionString)],
        ]
    }

    static var architecture: String {
        #if arch(x86_64)
        "x86_64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
